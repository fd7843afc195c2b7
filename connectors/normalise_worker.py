"""A worker process of connectors.normalise: reads batches (texts, regions) from stdin and writes each
batch's E.164 forms to stdout (messages of cx_unify/worker_process.py), until its input ends. Imports
connectors/phones.py and that module only."""

import sys

from connectors.phones import e164_list
from cx_unify.worker_process import read_message, write_message


def main() -> None:
    batches, answers = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            values, regions = read_message(batches)
        except EOFError:
            return
        write_message(answers, e164_list(values, regions))


if __name__ == "__main__":
    main()
