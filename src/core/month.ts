// The credit period: calendar months in UTC, resetting at 00:00 UTC on the 1st.
export function monthOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}

export function nextReset(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1));
}

export function checkMonth(text: string): string | undefined {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(text) ? text : undefined;
}
