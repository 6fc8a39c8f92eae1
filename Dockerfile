# The Podium conductor in a container; its state (database, logs, socket) on a volume at /state.
# How to build it, run it, reach it from the host and add agent CLIs: docs/container.md.
#
#   docker build -t podium --build-arg UID="$(id -u)" --build-arg GID="$(id -g)" .

FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
# Podium goes into a venv of its own, copied whole into the image below.
RUN python -m venv /opt/podium \
    && /opt/podium/bin/pip install --no-cache-dir --disable-pip-version-check .

FROM python:3.12-slim
# tini runs as PID 1: it passes `docker stop`'s SIGTERM on to the conductor and reaps the
# processes that attempts leave behind. git is for scores that isolate their work in git
# worktrees, and for the agents. Debian's versions are not pinned: the base image's release
# fixes them, and a pinned version disappears from its mirrors with the next security update.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git tini \
    && rm -rf /var/lib/apt/lists/*

# The same user id as yours on the host: the socket answers only its own user, and the files
# the conductor writes in the mounted folders are then yours.
ARG UID=1000
ARG GID=1000
RUN groupadd --gid "$GID" podium \
    && useradd --uid "$UID" --gid "$GID" --create-home --shell /bin/bash podium \
    && mkdir /state \
    && chown podium:podium /state

COPY --from=build /opt/podium /opt/podium
ENV PATH=/opt/podium/bin:$PATH \
    PODIUM_HOME=/state \
    PYTHONUNBUFFERED=1
VOLUME ["/state"]
USER ${UID}:${GID}
WORKDIR /home/podium

HEALTHCHECK --interval=30s --timeout=10s CMD ["podium", "conductor-status", "--json"]
# Arguments of `docker run IMAGE …` go to `podium start` (e.g. --profile minimal).
ENTRYPOINT ["tini", "--", "podium", "start", "--foreground"]
CMD []
