# syntax=docker/dockerfile:1
# paysandbox, the local sandbox of both payment APIs (cmd/paysandbox), as a small image: a static
# binary on distroless/static, run as a non-root user. Build and run:
#
#	docker build -t paysandbox .
#	docker run --rm -p 8080:8080 -p 8081:8081 paysandbox
#
# The Dintero API and its checkout pages are on port 8080, the CyberSource API on 8081, the admin
# API under /_sandbox/ on both. Set the PAYSANDBOX_* variables (cmd/paysandbox/README.md) to fix
# the credentials; otherwise each start generates and prints new ones.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
	CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/paysandbox ./cmd/paysandbox

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/paysandbox /paysandbox
# Listen on every interface of the container; the printed URLs say localhost, where the published
# ports are (override with PAYSANDBOX_DINTERO_URL and PAYSANDBOX_CYBERSOURCE_URL).
ENV PAYSANDBOX_DINTERO_ADDR=0.0.0.0:8080 \
	PAYSANDBOX_CYBERSOURCE_ADDR=0.0.0.0:8081
EXPOSE 8080 8081
# The nonroot user of distroless, by number so that runAsNonRoot can check it.
USER 65532:65532
# The image has no shell or curl: the binary checks itself (GET /_sandbox/health).
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 CMD ["/paysandbox", "-healthcheck"]
ENTRYPOINT ["/paysandbox"]
