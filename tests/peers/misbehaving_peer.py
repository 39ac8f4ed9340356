# A protocol peer that misbehaves on purpose (tests/protocol_test.cpp): gcfuzz's own CPython
# adapter, run in this interpreter, except for the request `drop boom`. There
# it does what MODE says instead of answering:
#   garbage   answers with a line that is not JSON
#   badtypes  answers with JSON whose `freed` is not a list of object numbers
#   close     closes its output and keeps running
#   crash     says so on stderr and aborts
#   silent    never answers
#   handshake answers the handshake with garbage
#   late      answers garbage to a `collect` that is op 4 or later of its trace (random
#             traces reach it)
# Every other request gets the adapter's own answer, so traces without `drop boom` pass.
import os
import sys
import time

mode, adapter = sys.argv[1], sys.argv[2]
real_stdin = sys.stdin


class Stdin(object):
    def readline(self):
        line = real_stdin.readline()
        words = line.split()
        if mode == 'handshake' and words[:1] == ['gcfuzz-protocol']:
            sys.stdout.write('hello, I am not a gcfuzz adapter\n')
            sys.stdout.flush()
            return real_stdin.readline()
        if mode == 'late' and words == ['collect'] and TRACE[0] >= 4:
            sys.stdout.write('collected everything, trust me\n')
            sys.stdout.flush()
            return real_stdin.readline()
        if words != ['drop', 'boom']:
            return line
        if mode == 'garbage':
            sys.stdout.write('Segmentation fault (core dumped)\n')
        elif mode == 'badtypes':
            sys.stdout.write('{"freed": "all of them"}\n')
        elif mode == 'close':
            sys.stdout.flush()
            os.close(1)
            sys.stderr.write('misbehaving_peer: closed stdout\n')
            sys.stderr.flush()
            time.sleep(3600)
        elif mode == 'crash':
            sys.stderr.write('misbehaving_peer: about to abort\n')
            sys.stderr.flush()
            os.abort()
        elif mode == 'silent':
            time.sleep(3600)
        sys.stdout.flush()
        return real_stdin.readline()


sys.stdin = Stdin()
exec(compile(open(adapter).read(), adapter, 'exec'))
