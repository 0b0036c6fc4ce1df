# dreamchat: the API (`dreamchat serve`) and CPU workers (`dreamchat worker --queues webhooks`,
# or the model queues on a cluster without GPUs), with PyTorch's CPU build.
#
#   docker build -t dreamchat:0.1.0 .
#   docker run -e REDIS_URL=redis://... -p 8000:8000 dreamchat:0.1.0
#   docker run -e REDIS_URL=redis://... dreamchat:0.1.0 worker --queues webhooks
#
# Needs BuildKit (the default builder since Docker 23) for the pip cache mounts.
# The base image is pinned to an exact tag; pin its digest as well with
#   --build-arg PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:<digest>
# The GPU worker image is Dockerfile.gpu; docs/operations.md has the details.

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder

# torch comes from PyTorch's CPU index (the PyPI wheel is the CUDA build and would pull in
# gigabytes of CUDA libraries); its version is the one pyproject.toml pins.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# Dependencies first, from pyproject.toml's pins alone: this layer survives code changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
open('torch.txt', 'w').write(''.join(d + '\n' for d in deps if d.startswith('torch=='))); \
open('requirements.txt', 'w').write(''.join(d + '\n' for d in deps if not d.startswith('torch==')))"
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --index-url "${TORCH_INDEX_URL}" -r torch.txt \
 && pip install -r requirements.txt dumb-init==1.2.5.post1

# The project itself (the packages pyproject.toml lists), then a check that the pins agree.
COPY README.md ./
COPY dreamchat ./dreamchat
COPY core ./core
COPY trainer ./trainer
COPY worker ./worker
COPY agent ./agent
COPY plugin ./plugin
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-deps . \
 && pip check \
 && python -c "import torch; assert not torch.cuda.is_available() and torch.version.cuda is None"


FROM ${PYTHON_IMAGE} AS runtime

RUN groupadd --system --gid 10001 dreamchat \
 && useradd --system --uid 10001 --gid dreamchat --create-home --home-dir /home/dreamchat \
    --shell /usr/sbin/nologin dreamchat \
 && install -d -o dreamchat -g dreamchat -m 0750 /data
COPY --from=builder /opt/venv /opt/venv
COPY docker/healthcheck.py /usr/local/lib/dreamchat/healthcheck.py
# The offline ToyWorld base model committed with the source (10 MB) is the image's default
# DREAMCHAT_BASE_MODEL (an installed wheel has no source tree to find it in); a deployment
# sets its own model in its config.
COPY models/toyworld /opt/dreamchat/models/toyworld

# DREAMCHAT_DATA_DIR holds the blob store, training checkpoints and the class-prior cache:
# mount a volume shared by the API and all workers there (or use the bucket backend).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DREAMCHAT_DATA_DIR=/data \
    DREAMCHAT_BASE_MODEL=/opt/dreamchat/models/toyworld \
    HF_HOME=/data/huggingface
USER 10001:10001
WORKDIR /home/dreamchat
EXPOSE 8000

# /healthz for the API, a live rq registration for a worker (see docker/healthcheck.py).
HEALTHCHECK --interval=30s --timeout=10s --start-period=5m --retries=3 \
    CMD ["python", "/usr/local/lib/dreamchat/healthcheck.py"]

# dumb-init as PID 1 forwards SIGTERM to the process group (the worker checkpoints and
# requeues a training, the API drains) and reaps the rq scheduler's children.
ENTRYPOINT ["dumb-init", "--", "dreamchat"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
