"""`python -m examples.fastapi_app [--port 8000]`: serve the example app (and, without
`MEMORIES_BASE_URL`, an emulator of its own) until Ctrl+C."""

from __future__ import annotations

import argparse

import uvicorn


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.fastapi_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    print(f"open http://{args.host}:{args.port}/ in a browser", flush=True)
    uvicorn.run("examples.fastapi_app.app:app", host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
