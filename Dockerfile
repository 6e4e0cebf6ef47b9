# The standalone Matinee relay, for friends behind carrier-grade NAT (or
# anyone who prefers a server): docker build -t matinee-relay .
# docker run -p 7878:7878 matinee-relay   (TLS: a reverse proxy, or mount a
# certificate and add --tls-cert /certs/fullchain.pem --tls-key /certs/key.pem)

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p matinee-relay \
 && strip target/release/matinee-relay

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/matinee --create-home matinee
COPY --from=build /src/target/release/matinee-relay /usr/local/bin/matinee-relay
USER matinee
WORKDIR /var/lib/matinee
ENV MATINEE_RELAY_LISTEN=0.0.0.0:7878 \
    MATINEE_RELAY_RESUME_SECRET_FILE=/var/lib/matinee/resume-secret
EXPOSE 7878
HEALTHCHECK --interval=30s --timeout=3s CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/7878 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '\"ok\"' <&3"]
ENTRYPOINT ["matinee-relay"]
