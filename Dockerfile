# kubegrant's container image: one static binary on distroless "static"
# (no shell, no package manager, no libc), run as the image's non-root user.
# Run it with a read-only root filesystem (docker run --read-only, or
# readOnlyRootFilesystem: true as deploy/helm/kubegrant does): kubegrant
# writes nothing but its report, and that goes to a mounted volume or stdout.
#
#   docker build -t kubegrant --build-arg VERSION=$(git describe --tags --always) .
#   docker run --rm --read-only -v "$PWD:/src:ro" -w /src kubegrant scan deploy/
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/kubegrant ./cmd/kubegrant

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kubegrant /kubegrant
# 65532 is distroless's "nonroot"; numeric, so that runAsNonRoot can check it.
USER 65532:65532
ENTRYPOINT ["/kubegrant"]
CMD ["--help"]
