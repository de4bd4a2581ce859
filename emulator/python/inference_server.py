"""The emulator's stand-in for the Azure ML inference HTTP server (azureml-inference-server-http, `azmlinfsrv`).

The emulator starts one per instance of an online deployment, as the service starts one per container. It follows the
real server's scoring contract: it imports the entry script (AML_APP_ROOT/AZUREML_ENTRY_SCRIPT), calls init() once,
then answers

    GET  /              liveness and readiness probe ("Healthy")
    POST /score         run(<the request body as a str>), the result serialised as JSON
    GET  /score         run(<the query parameters as a JSON str>)
    GET  /swagger.json  the API description (?version=2, 3 or 3.1)

with the real server's headers (x-ms-run-function-failed, x-ms-run-fn-exec-ms, x-request-id, x-ms-request-id), error
answers and log lines (`<UTC time> <level> [<pid>] <logger> - <message>`). Python 3 standard library only.

Started by the emulator with --ready-fd N: once init() has completed and the server listens on 127.0.0.1, it writes
one JSON line {"port": <port>} to that file descriptor. With --exit-with-stdin it exits when its stdin closes, i.e.
when the emulator has gone, so that no instance outlives it. By hand: `python3 inference_server.py --port 5001` with
AML_APP_ROOT, AZUREML_ENTRY_SCRIPT and AZUREML_MODEL_DIR set.
"""
import argparse
import http.server
import importlib.util
import inspect
import io
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from urllib.parse import parse_qs, urlsplit

SERVER_VERSION = "1.4.0"
HEADER_LIMIT = 100
RUN_FAILED_MESSAGE = "An unexpected error occurred in scoring script. Check the logs for more info."
INTERNAL_ERROR_MESSAGE = "An unexpected internal error occurred. Check the logs for more info."
# The real server's exit code when the entry script cannot be loaded or its init() raises.
EXIT_INIT_FAILED = 3

logger = logging.getLogger("azmlinfsrv")
script_logger = logging.getLogger("azmlinfsrv.user_script")


class PrintToLog(io.TextIOBase):
    """What the entry script prints becomes log lines of `azmlinfsrv.print`, as on the real server."""

    def __init__(self, target):
        super().__init__()
        self._target = target
        self._pending = ""
        self._lock = threading.Lock()

    def writable(self):
        return True

    def write(self, text):
        with self._lock:
            self._pending += text
            while "\n" in self._pending:
                line, self._pending = self._pending.split("\n", 1)
                self._target.info(line)
        return len(text)

    def flush(self):
        pass


def configure_logging():
    formatter = logging.Formatter("%(asctime)s %(levelname).1s [%(process)d] %(name)s - %(message)s")
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.__stdout__)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    sys.stdout = PrintToLog(logging.getLogger("azmlinfsrv.print"))


def print_banner(entry_script, model_dir, worker_count, port):
    out = sys.__stdout__
    out.write(
        f"Azure ML Inferencing HTTP server v{SERVER_VERSION}\n\n\n"
        "Server Settings\n---------------\n"
        f"Entry Script Name: {entry_script}\n"
        f"Model Directory: {model_dir}\n"
        f"Worker Count: {worker_count}\n"
        "Worker Timeout (seconds): None\n"
        f"Server Port: {port}\n"
        "Application Insights Enabled: false\n"
        "Application Insights Key: None\n"
        f"Inferencing HTTP server version: azmlinfsrv/{SERVER_VERSION}\n"
        "CORS for the specified origins: None\n\n\n"
        "Server Routes\n---------------\n"
        f"Liveness Probe: GET   127.0.0.1:{port}/\n"
        f"Score:          POST  127.0.0.1:{port}/score\n\n"
    )
    out.flush()


class UserScript:
    """The entry script: loaded from its file, init() called once, run() called per request."""

    def __init__(self, path):
        self.path = path
        self.module = None
        self.run_takes_headers = False

    def load(self):
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"The entry script {self.path} does not exist (check code_configuration.scoring_script).")
        directory = os.path.dirname(self.path)
        if directory not in sys.path:
            sys.path.insert(0, directory)
        spec = importlib.util.spec_from_file_location("entry_module", self.path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["entry_module"] = module
        spec.loader.exec_module(module)
        script_logger.info("Found user script at %s", self.path)
        for name in ("init", "run"):
            if not callable(getattr(module, name, None)):
                raise AttributeError(f"The entry script {self.path} has no {name}() function: it must define init() and run(raw_data).")
        parameters = list(inspect.signature(module.run).parameters)
        self.run_takes_headers = len(parameters) == 2 and parameters[1] == "request_headers"
        script_logger.info("run() is not decorated. Server will invoke it with the input in JSON string.")
        self.module = module

    def init(self):
        script_logger.info("Invoking user's init function")
        self.module.init()
        script_logger.info("Users's init has completed successfully")

    def run(self, raw, headers):
        if self.run_takes_headers:
            return self.module.run(raw, request_headers=headers)
        return self.module.run(raw)


class Swagger:
    """The API description: the files the entry script's folder provides (swagger2.json, swagger3.json), else the
    generic one the real server generates for an undecorated run()."""

    def __init__(self, folder):
        self.folder = folder

    def get(self, version):
        major = {"2": "2", "3": "3", "3.1": "3"}.get(version)
        if major is None:
            return None
        provided = os.path.join(self.folder, f"swagger{major}.json")
        if os.path.isfile(provided):
            with open(provided, encoding="utf-8") as handle:
                return json.load(handle)
        return generic_swagger(version)


def generic_swagger(version):
    error = {"type": "object", "properties": {"message": {"type": "string"}}}
    if version == "2":
        return {
            "swagger": "2.0",
            "info": {"title": "ML service", "description": "API specification for Azure Machine Learning ML service", "version": "1.0"},
            "schemes": ["https"],
            "consumes": ["application/json"],
            "produces": ["application/json"],
            "securityDefinitions": {"Bearer": {"type": "apiKey", "name": "Authorization", "in": "header", "description": "For example: Bearer abc123"}},
            "paths": {
                "/": {"get": {"operationId": "ServiceHealthCheck", "description": "Simple health check endpoint to ensure the service is up at any given point.",
                              "responses": {"200": {"description": "If service is up and running, this response will be returned with the content 'Healthy'", "schema": {"type": "string"}},
                                            "default": {"description": "The service failed to execute due to an error.", "schema": {"$ref": "#/definitions/ErrorResponse"}}}}},
                "/score": {"post": {"operationId": "RunMLService", "description": "Run web service's model and get the prediction output", "security": [{"Bearer": []}],
                                    "parameters": [{"name": "serviceInputPayload", "in": "body", "description": "The input payload for executing the real-time machine learning service.", "schema": {"$ref": "#/definitions/ServiceInput"}}],
                                    "responses": {"200": {"description": "The service processed the input correctly and provided a result prediction, if applicable.", "schema": {"$ref": "#/definitions/ServiceOutput"}},
                                                  "default": {"description": "The service failed to execute due to an error.", "schema": {"$ref": "#/definitions/ErrorResponse"}}}}},
            },
            "definitions": {"ServiceInput": {"type": "object"}, "ServiceOutput": {"type": "object"}, "ErrorResponse": error},
        }
    return {
        "openapi": "3.1.0" if version == "3.1" else "3.0.1",
        "info": {"title": "ML service", "description": "API specification for Azure Machine Learning ML service", "version": "1.0"},
        "paths": {
            "/": {"get": {"operationId": "ServiceHealthCheck", "description": "Simple health check endpoint to ensure the service is up at any given point.",
                          "responses": {"200": {"description": "If service is up and running, this response will be returned with the content 'Healthy'", "content": {"application/json": {"schema": {"type": "string"}}}}}}},
            "/score": {"post": {"operationId": "RunMLService", "description": "Run web service's model and get the prediction output", "security": [{"Bearer": []}],
                                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ServiceInput"}}}},
                                "responses": {"200": {"description": "The service processed the input correctly and provided a result prediction, if applicable.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ServiceOutput"}}}},
                                              "default": {"description": "The service failed to execute due to an error.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}}}}},
        },
        "components": {
            "securitySchemes": {"Bearer": {"type": "apiKey", "name": "Authorization", "in": "header", "description": "For example: Bearer abc123"}},
            "schemas": {"ServiceInput": {"type": "object"}, "ServiceOutput": {"type": "object"}, "ErrorResponse": error},
        },
    }


def parse_query(query):
    """GET /score: each query parameter as JSON when it parses, else as a string; repeated ones as a list."""

    def value(text):
        try:
            return json.loads(text)
        except ValueError:
            return text

    parsed = {}
    for key, values in parse_qs(query, keep_blank_values=True).items():
        parsed[key] = value(values[0]) if len(values) == 1 else [value(v) for v in values]
    return parsed


def make_handler(app):
    """`app` holds the entry script, its swagger and the worker semaphore once init() has completed."""

    class InferenceHandler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "azmlinfsrv"
        sys_version = ""

        def log_message(self, format, *args):  # noqa: A002 - the access log is written per request below
            pass

        def do_GET(self):
            self.handle_request()

        def do_POST(self):
            self.handle_request()

        def do_OPTIONS(self):
            self.handle_request()

        def handle_request(self):
            started = time.perf_counter()
            url = urlsplit(self.path)
            ids, error = self.request_ids()
            try:
                body = self.read_body()
            except ValueError as invalid:
                # The rest of the connection cannot be framed: answer, then close it.
                self.close_connection = True
                error = error or (400, {"message": f"The request body cannot be read: {invalid}"}, {})
                body = b""
            status, payload, extra = error if error else self.route(url, body)
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", extra.pop("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(data)))
            for name, value in [*extra.items(), *ids]:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            if url.path != "/":
                elapsed = (time.perf_counter() - started) * 1000
                target = url.path + (f"?{url.query}" if url.query else "")
                logger.info("%s %s %d %.3fms %d", self.command, target, status, elapsed, len(data))

        def read_body(self):
            """The request body: Content-Length bytes, or the chunks of a chunked request (as gunicorn reads them).
            Raises ValueError when the framing is invalid."""
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                chunks = []
                while True:
                    size = int(self.rfile.readline(1024).split(b";", 1)[0].strip() or b"x", 16)
                    if size == 0:
                        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline(3)
            length = int(self.headers.get("Content-Length") or 0)
            if length < 0:
                raise ValueError(f"invalid Content-Length {length}")
            return self.rfile.read(length) if length > 0 else b""

        def request_ids(self):
            """x-request-id (generated when absent) and x-ms-request-id / x-ms-client-request-id, as the real server
            echoes them; an error answer when one is too long."""
            request_id = self.headers.get("x-request-id") or str(uuid.uuid4())
            if len(request_id) > HEADER_LIMIT:
                return [], (431, {"message": f"x-request-id must not exceed {HEADER_LIMIT} characters"}, {})
            client_request_id = self.headers.get("x-ms-client-request-id", "")
            legacy = self.headers.get("x-ms-request-id", "") or client_request_id or request_id
            if len(legacy) > HEADER_LIMIT or len(client_request_id) > HEADER_LIMIT:
                return [], (431, {"message": f"x-ms-request-id and x-ms-client-request-id must not exceed {HEADER_LIMIT} characters"}, {})
            ids = [("x-request-id", request_id), ("x-ms-request-id", legacy)]
            if client_request_id:
                ids.append(("x-ms-client-request-id", client_request_id))
            server_version = os.environ.get("HTTP_X_MS_SERVER_VERSION", "")
            if server_version:
                ids.append(("x-ms-server-version", server_version))
            return ids, None

        def route(self, url, body):
            if "script" not in app:
                return 503, {"message": "The inference server is starting: init() has not completed yet."}, {}
            if url.path == "/" and self.command == "GET":
                return 200, b"Healthy", {"Content-Type": "text/html; charset=utf-8"}
            if url.path == "/swagger.json" and self.command == "GET":
                version = parse_qs(url.query).get("version", ["2"])[0]
                document = app["swagger"].get(version)
                if document is None:
                    return 404, {"message": f"Swagger version [{version}] is not valid. Supported versions: 2, 3, 3.1"}, {}
                return 200, document, {}
            if url.path == "/score":
                if self.command == "OPTIONS":
                    return 200, b"", {"Content-Type": "text/html; charset=utf-8"}
                if self.command == "GET":
                    raw = json.dumps(parse_query(url.query))
                else:
                    try:
                        raw = body.decode("utf-8")
                    except UnicodeDecodeError as error:
                        return 400, {"message": f"Input cannot be decoded as UTF-8: {error}"}, {}
                return self.score(raw)
            return 404, {"message": f"Incorrect route: {self.path}"}, {}

        def score(self, raw):
            headers = {name: value for name, value in self.headers.items()}
            started = time.perf_counter()
            # One run() at a time per worker, as with the real server's sync workers (WORKER_COUNT of them).
            with app["workers"]:
                try:
                    result = app["script"].run(raw, headers)
                except Exception:  # noqa: BLE001 - any exception of the user's code is the request's failure
                    logger.error("Encountered Exception: %s", traceback.format_exc().rstrip())
                    return 500, {"message": RUN_FAILED_MESSAGE}, {"x-ms-run-function-failed": "True"}
            elapsed = (time.perf_counter() - started) * 1000
            try:
                payload = json.dumps(result).encode("utf-8")
            except Exception:  # noqa: BLE001 - TypeError, ValueError, RecursionError (a deeply nested value): never a dropped connection
                logger.error("Encountered Exception: %s", traceback.format_exc().rstrip())
                return 500, {"message": INTERNAL_ERROR_MESSAGE}, {"x-ms-run-function-failed": "False"}
            return 200, payload, {"x-ms-run-function-failed": "False", "x-ms-run-fn-exec-ms": f"{elapsed:.3f}"}

    return InferenceHandler


class Server(http.server.ThreadingHTTPServer):
    # The front end opens a connection per request: the default backlog of 5 drops SYNs under a burst of concurrent
    # requests, which then wait a second or more for the retransmission (and meet their request timeout).
    request_queue_size = 128


def exit_with_stdin():
    """The emulator keeps our stdin open while it lives: EOF means it has gone, and so must we."""

    def watch():
        # os.read, not sys.stdin: a daemon thread blocked in a buffered read aborts the interpreter's shutdown.
        try:
            while os.read(0, 4096):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv):
    parser = argparse.ArgumentParser(description="Azure ML inference server stand-in of the azureml-mlops emulator.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--ready-fd", type=int, help="file descriptor told {\"port\": N} once the server is ready")
    parser.add_argument("--exit-with-stdin", action="store_true", help="exit when stdin reaches end of file")
    args = parser.parse_args(argv)
    if args.exit_with_stdin:
        exit_with_stdin()

    app_root = os.environ.get("AML_APP_ROOT", os.getcwd())
    entry_script = os.path.join(app_root, os.environ.get("AZUREML_ENTRY_SCRIPT", "score.py"))
    model_dir = os.environ.get("AZUREML_MODEL_DIR", "")
    worker_count = max(1, int(os.environ.get("WORKER_COUNT", "1") or "1"))
    # Bound first, as gunicorn binds before its worker runs init(); it answers once init() has completed.
    app = {}
    server = Server(("127.0.0.1", args.port), make_handler(app))
    server.daemon_threads = True
    port = server.server_address[1]
    print_banner(entry_script, model_dir, worker_count, port)
    configure_logging()
    logger.info("Listening at: http://127.0.0.1:%d (%d)", port, os.getpid())
    if app_root not in sys.path:
        sys.path.insert(0, app_root)

    script = UserScript(entry_script)
    try:
        script.load()
    except Exception:  # noqa: BLE001 - whatever the script raises while importing fails the container
        logger.error("Failed to load the entry script %s", entry_script)
        logger.error("Encountered Exception: %s", traceback.format_exc().rstrip())
        return EXIT_INIT_FAILED
    try:
        script.init()
    except Exception:  # noqa: BLE001
        script_logger.error("User's init function failed")
        script_logger.error("Encountered Exception: %s", traceback.format_exc().rstrip())
        return EXIT_INIT_FAILED

    logging.getLogger("azmlinfsrv.swagger").info("Swaggers are prepared for the following versions: [2, 3, 3.1].")
    app.update(script=script, swagger=Swagger(os.path.dirname(entry_script)), workers=threading.BoundedSemaphore(worker_count))
    logger.info("Scoring timeout is set to %s", os.environ.get("SCORING_TIMEOUT_MS", "3600000"))
    logger.info("Worker with pid %d ready for serving traffic", os.getpid())
    if args.ready_fd is not None:
        os.write(args.ready_fd, (json.dumps({"port": port}) + "\n").encode("utf-8"))
        os.close(args.ready_fd)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
