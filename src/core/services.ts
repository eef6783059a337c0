// Long-lived services that commands and the gateway share, built once in app.ts.
// Passed as an argument (ctx.services), never imported as globals.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Services {}
