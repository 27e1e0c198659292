#!/usr/bin/env bash
# The last CPU this process may run on (a container's cpuset may allow fewer
# than are online): the CPU the CI job's speed gate and `make baselines` pin
# their peers reads to (bpfbench peers --cpu).
awk '/^Cpus_allowed_list:/ { n = split($2, a, /[-,]/); print a[n] }' /proc/self/status
