"""A worker process of connectors.normalise: reads pickled batches (texts, regions) from stdin and writes
each batch's E.164 forms to stdout, until its input ends. Imports connectors/phones.py only."""

import pickle
import sys

from connectors.phones import e164_list


def main() -> None:
    batches, answers = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            values, regions = pickle.load(batches)
        except EOFError:
            return
        pickle.dump(e164_list(values, regions), answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    main()
