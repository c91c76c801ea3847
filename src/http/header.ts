import type { RawRequest } from './serve.js';

/** A request header's value (`name` in lower case); the first when it came more than once. */
export function header(request: Pick<RawRequest, 'req'>, name: string): string | undefined {
  const value = request.req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
