// One stream of a parallel in-kernel fill: a worker thread started by
// fill-parallel.ts runs the fill program over its key range and reports
// through the shared board (fill-parallel.ts: runFillWorker). koffi and the
// bpf(2) binding load per thread; the program and map fds are the process's.
import { workerData } from 'node:worker_threads';
import { runFillWorker, type FillWorkerData } from './fill-parallel.js';

runFillWorker(workerData as FillWorkerData);
