"""A FastAPI app that lets a person upload, search and chat with their videos: the way the SDK
is meant to be used from a web server. Run it with `python -m examples.fastapi_app`."""
