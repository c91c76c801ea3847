/** Who may read the counters: a bearer token on the service's port, and/or a loopback-only port. */
export interface MetricsAccess {
  /** `METRICS_TOKEN`: `/metrics` on the service's own port answers only `Authorization: Bearer <token>`. */
  token: string | null;
  /** `METRICS_PORT`: an admin port bound to 127.0.0.1 serving `/metrics` of every subgraph in the process. */
  port: number | null;
}
