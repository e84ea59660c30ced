"""Text Classifier Studio in the browser: `python app.py` (also the Hugging Face Space entry point).

Host and port: GRADIO_SERVER_NAME (default 127.0.0.1; 0.0.0.0 to serve the network), PORT or GRADIO_SERVER_PORT
(default 7860). Runs are kept in $CLASSIFIER_HOME/runs (default ./runs). For public hosting (README, "Hosting it
publicly"): CLASSIFIER_AUTH="user:password" asks for a login, CLASSIFIER_DEMO=1 makes the app read-only (predict
only), CLASSIFIER_MAX_UPLOAD_MB caps uploads (default 100).
"""

import os
import sys

from classifier.webui import build_app, launch_options

# A worker process (classifier.worker: the Data tab reads files in one) imports this script as __mp_main__, as every
# multiprocessing child does; it needs no app.
demo = build_app() if __name__ != "__mp_main__" else None

if __name__ == "__main__":
    host = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    port = int(os.environ.get("PORT") or os.environ.get("GRADIO_SERVER_PORT") or 7860)
    try:
        options = launch_options()
    except ValueError as exc:  # a malformed CLASSIFIER_AUTH: say so instead of serving an open app
        sys.exit(f"Error: {exc}")
    _, local_url, _ = demo.launch(server_name=host, server_port=port, prevent_thread_lock=True, **options)
    print(f"Text Classifier Studio is running at {local_url}", flush=True)
    demo.block_thread()
