// One writer of run --writers: a worker thread started by writers.ts runs
// the writer program's stream and reports through the shared board
// (writers.ts: runWriterWorker). koffi and the bpf(2) binding load per
// thread; the program and map fds are the process's.
import { workerData } from 'node:worker_threads';
import { runWriterWorker, type WriterWorkerData } from './writers.js';

runWriterWorker(workerData as WriterWorkerData);
