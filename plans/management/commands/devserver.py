"""`manage.py devserver`: web, worker and beat together for development; Ctrl-C stops all three."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start the web server, a Celery worker and celery beat; Ctrl-C stops them all."

    def handle(self, *args: Any, **options: Any) -> None:
        port = os.environ.get("PORT", "8000")
        python = sys.executable
        beat_file = settings.VAR_DIR / "celerybeat-schedule"
        commands = {
            "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            "worker": [python, "-m", "celery", "-A", "orchestration_site", "worker", "-l", "info", "-c", "2"],
            "beat": [
                python, "-m", "celery", "-A", "orchestration_site", "beat", "-l", "info",
                "--scheduler", "scheduling.scheduler:TriggerScheduler", "-s", str(beat_file),
            ],
        }  # fmt: skip
        processes: dict[str, subprocess.Popen[bytes]] = {}
        for name, command in commands.items():
            # Own process groups: Ctrl-C is handled here, and children are stopped in order.
            processes[name] = subprocess.Popen(
                command, cwd=settings.BASE_DIR, start_new_session=True
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Plans is running: http://127.0.0.1:{port}/  (web, worker and beat; Ctrl-C stops all)"
            )
        )
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGHUP, stop)  # the terminal closed
        parent = os.getppid()
        try:
            while not stopping:
                if os.getppid() != parent:
                    # Whatever started us (make, a shell) was killed without passing the signal
                    # on; the children live in their own sessions and would run on unseen.
                    self.stderr.write("The parent process is gone; stopping.")
                    stopping = True
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(
                            f"{name} exited with code {process.returncode}; stopping the rest."
                        )
                        stopping = True
                time.sleep(0.5)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    # Only the main process: celery then stops its own pool processes cleanly.
                    process.terminate()
            deadline = time.monotonic() + 15
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
            self.stdout.write("Stopped.")
