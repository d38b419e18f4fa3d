import { unknownField } from '../core/index.js';

/** Methods the HTTP adapter answers; HEAD is implied wherever GET is. */
export type Method = 'GET' | 'HEAD' | 'POST';

export interface Route<Context> {
  /** An exact path, or a pattern whose groups are the (still percent-encoded) path parameters. */
  path: string | RegExp;
  methods: readonly Method[];
  /** Query parameters the route reads; any other (but `token`, which every route takes) is refused by name. */
  query?: readonly string[];
  /** Answered without network.token (/healthz only). */
  public?: boolean;
  handle(context: Context, params: readonly string[]): Promise<void> | void;
}

export type RouteMatch<Context> =
  | { kind: 'route'; route: Route<Context>; params: readonly string[] }
  /** The path exists but not for this method; `allow` lists the methods it has. */
  | { kind: 'method-not-allowed'; allow: string }
  | { kind: 'not-found' };

/** Every request may carry the token once (a browser's first visit); no route reads it itself. */
const ALWAYS_ALLOWED_QUERY = 'token';
const ORDER: readonly Method[] = ['GET', 'HEAD', 'POST'];

/**
 * The HTTP adapter's routes in one table, so that what answers a path and
 * what `Allow` says for it cannot disagree: a 405's Allow is the union of
 * the methods of every route whose path matches.
 */
export class RouteTable<Context> {
  constructor(readonly routes: readonly Route<Context>[]) {}

  match(method: string, pathname: string): RouteMatch<Context> {
    const allowed = new Set<Method>();
    for (const route of this.routes) {
      const params = matchPath(route.path, pathname);
      if (params === undefined) continue;
      const methods = withHead(route.methods);
      if (methods.includes(method as Method)) return { kind: 'route', route, params };
      for (const m of methods) allowed.add(m);
    }
    if (allowed.size === 0) return { kind: 'not-found' };
    return { kind: 'method-not-allowed', allow: ORDER.filter((m) => allowed.has(m)).join(', ') };
  }
}

/** The route's methods with HEAD wherever GET is (node's http answers HEAD without a body). */
export function withHead(methods: readonly Method[]): Method[] {
  return methods.includes('GET') && !methods.includes('HEAD') ? [...methods, 'HEAD'] : [...methods];
}

/** Refuses a query parameter the route does not read: a misspelt `max_fsp` must not be silently ignored. */
export function checkQuery(route: Route<unknown>, params: URLSearchParams): void {
  const known = new Set(route.query ?? []);
  for (const name of params.keys()) {
    if (name !== ALWAYS_ALLOWED_QUERY && !known.has(name)) throw unknownField(name, [...known]);
  }
}

function matchPath(path: string | RegExp, pathname: string): readonly string[] | undefined {
  if (typeof path === 'string') return path === pathname ? [] : undefined;
  const match = path.exec(pathname);
  return match ? match.slice(1).map((group) => group ?? '') : undefined;
}
