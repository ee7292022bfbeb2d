# Tusk's image: the static binary and the CA certificates it trusts for S3 and
# OIDC over https, nothing else. scripts/image.sh builds the binary and this
# image (no Go toolchain in the image, no base image to pull).
FROM scratch
COPY tusk /tusk
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
USER 65532:65532
ENTRYPOINT ["/tusk"]
