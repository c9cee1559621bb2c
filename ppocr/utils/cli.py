"""What every ``tools/*.py`` script shares: ``-c``/``-o`` parsing and turning errors into usage messages."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Callable

from ppocr.utils.errors import CheckpointError, ConfigError, DataError
from ppocr.utils.config import get_config

EXIT_USAGE = 2


def config_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("-c", "--config", required=True, help="YAML config file")
    parser.add_argument("-o", "--opt", nargs="+", action="extend", default=[],
                        help="overrides, e.g. -o Global.epoch_num=10 Train.loader.batch_size_per_card=64")
    return parser


def run(main: Callable[[], object]) -> int:
    """Run ``main``; config, data and checkpoint errors become one clear line and exit code 2."""
    try:
        main()
    except ConfigError as e:
        _fail(f"config error: {e}")
    except CheckpointError as e:
        _fail(f"checkpoint error: {e}")
    except DataError as e:
        _fail(f"data error: {e}")
    except KeyboardInterrupt:
        _fail("interrupted; resume with -o Global.checkpoints=<save_model_dir>/latest")
        return 130
    else:
        return 0
    return EXIT_USAGE


def _fail(msg: str) -> None:
    logging.getLogger("ppocr").error(msg)
    if not logging.getLogger("ppocr").handlers:
        sys.stderr.write(msg + "\n")


def run_config_tool(entry: Callable[[dict], object], description: str, argv: list[str] | None = None) -> int:
    """Parse ``-c``/``-o``, load the config and call ``entry(cfg)``; returns the exit code."""

    args = config_parser(description).parse_args(argv)
    return run(lambda: entry(get_config(args.config, args.opt)))
