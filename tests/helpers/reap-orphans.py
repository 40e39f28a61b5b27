#!/usr/bin/env python3
"""Runs COMMAND as a child subreaper (Linux prctl PR_SET_CHILD_SUBREAPER): a process
orphaned below it, such as a job whose parent was killed with SIGKILL, is reparented
here instead of to init, so its exit status can be seen. When every process below has
exited, writes {"reaped": [{pid, command, code, signal}]} to REPORT (command: true for
COMMAND itself). Node cannot become a subreaper; the tests that kill a job's parent
start the parent through this.

usage: reap-orphans.py REPORT -- COMMAND [ARG]...
"""
import ctypes
import json
import os
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36

if len(sys.argv) < 4 or sys.argv[2] != '--':
    sys.exit(__doc__)
report, command = sys.argv[1], sys.argv[3:]
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit(f'prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}')
child = subprocess.Popen(command)  # inherits stdin, stdout and stderr
reaped = []
while True:
    try:
        pid, status = os.waitpid(-1, 0)
    except ChildProcessError:
        break
    reaped.append({
        'pid': pid,
        'command': pid == child.pid,
        'code': os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        'signal': os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
    })
with open(report, 'w') as out:
    json.dump({'reaped': reaped}, out)
