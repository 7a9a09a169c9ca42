import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors';

/**
 * Browser-side hardening, for every answer the app gives:
 * - security headers and a Content-Security-Policy. The SPA is built by Vite into module scripts
 *   and stylesheets of its own origin, so scripts and styles come only from 'self': no inline
 *   script, no eval, no inline <style> or style="" markup (Vue, element-plus and the BPMN viewer
 *   set styles through the CSSOM, which CSP does not restrict); images and fonts may be data:
 *   URIs (icons, the viewer's markers). API answers get the
 *   strictest policy (they are data, never a page) and no caching (they hold personal data).
 *   test/browser/security-headers.test.ts walks the built SPA under this policy.
 * - CSRF: the session cookie is SameSite=Strict, which keeps it off cross-site requests; on top
 *   of it, a state-changing request (POST, PUT, PATCH, DELETE) whose Origin — or, without one,
 *   Referer or Sec-Fetch-Site — shows it was sent by another origin's page is refused with 403
 *   CSRF_REJECTED before anything is read. Browsers send Origin on every such request; a
 *   request with none of the three headers does not come from a page (a script, a partner
 *   system) and carries no ambient cookie, so there is nothing to forge.
 */

export const SPA_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const COMMON_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  'x-permitted-cross-domain-policies': 'none',
};

export function securityHeaders(): RequestHandler {
  return (req, res, next) => {
    res.set(COMMON_HEADERS);
    const api = req.path === '/api' || req.path.startsWith('/api/');
    res.setHeader('content-security-policy', api ? API_CSP : SPA_CSP);
    if (api) res.setHeader('cache-control', 'no-store');
    // Only over HTTPS (directly or through the trusted proxy): on plain HTTP it would be ignored, or pin a test host.
    if (req.secure) res.setHeader('strict-transport-security', 'max-age=31536000; includeSubDomains');
    next();
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The host and port a request was addressed to (Express 5: Host, or X-Forwarded-Host through the trusted proxy). */
function ownHost(req: Request): string | undefined {
  return req.host?.toLowerCase();
}

function hostOf(url: string): string | undefined | null {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return null; // unparseable: not ours
  }
}

export const csrfRejected = () =>
  new AppError(403, 'CSRF_REJECTED', '请求不是从本系统的页面发出的，已拒绝（防止跨站请求伪造）；请在本系统页面中重新操作');

export function sameOriginWrites(): RequestHandler {
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const host = ownHost(req);
    const origin = req.get('origin');
    if (origin !== undefined) {
      // "null": a sandboxed frame, a file:// page, a redirect across origins — never our page.
      if (origin === 'null' || hostOf(origin) !== host) return next(csrfRejected());
      return next();
    }
    const site = req.get('sec-fetch-site');
    if (site === 'cross-site' || site === 'same-site') return next(csrfRejected());
    const referer = req.get('referer');
    if (referer !== undefined && hostOf(referer) !== host) return next(csrfRejected());
    next();
  };
}
