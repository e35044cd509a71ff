"""Polls the job table and processes pending jobs."""
import time


def main() -> None:
    while True:
        time.sleep(5)


if __name__ == "__main__":
    main()
