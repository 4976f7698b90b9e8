# Shortcuts; the README's two commands do not need make.

# Start the dashboard on the demo programme (or $TRACKER_DB).
run:
	.venv/bin/streamlit run dashboard.py

# Run every test, the real-browser ones included.
test:
	.venv/bin/python -m pytest

# Lint and check formatting.
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

# Regenerate the demo programme's files in data/.
demo:
	.venv/bin/python -m tracker demo

.PHONY: run test lint demo
