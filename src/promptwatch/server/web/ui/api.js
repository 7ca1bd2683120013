// The REST client. The credential (a log-in token or an API key) lives in sessionStorage, never in a cookie
// (clause P13): it is sent as `Authorization: Bearer`, the chosen account as `X-PromptWatch-Account`.
const STORE = "promptwatch.auth";

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `request failed with status ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

let signedOutListener = () => {};

export function onSignedOut(listener) {
  signedOutListener = listener;
}

export function currentAuth() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE));
  } catch {
    return null;
  }
}

export function saveAuth(auth) {
  sessionStorage.setItem(STORE, JSON.stringify(auth));
}

export function clearAuth() {
  sessionStorage.removeItem(STORE);
}

function queryString(params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : "";
}

// request(path, options) → the Response of a successful call (headers, blob, ...); throws ApiError with the
// API's problem (its `detail` is the message) otherwise. `accept` picks the wanted media type; a `body` that is
// a Blob (a chosen file) is sent as it is, anything else as JSON.
export async function request(path, { method = "GET", query = {}, body, auth = currentAuth(), accept = "application/json" } = {}) {
  const headers = { Accept: accept };
  const file = body instanceof Blob;
  if (auth && auth.credential) headers.Authorization = `Bearer ${auth.credential}`;
  if (auth && auth.account) headers["X-PromptWatch-Account"] = String(auth.account);
  if (body !== undefined) headers["Content-Type"] = file ? body.type || "application/octet-stream" : "application/json";
  const response = await fetch(path + queryString(query), {
    method,
    headers,
    body: body === undefined || file ? body : JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => null);
    const stored = currentAuth();
    if (response.status === 401 && auth && stored && stored.credential === auth.credential) {
      signedOutListener("Your sign-in has ended; please sign in again.");
    }
    throw new ApiError(response.status, problem);
  }
  return response;
}

// api("/api/v1/sessions", { query: {...} }) → the parsed JSON body, or null for 204; throws ApiError.
export async function api(path, options = {}) {
  const response = await request(path, options);
  if (response.status === 204) return null;
  return response.json().catch(() => null);
}
