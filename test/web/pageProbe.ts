// What a page shows, read in the browser (issue 17.8): the charts Chart.js drew (their data and
// whether their canvas has pixels), and the rows a filter left visible.
// The callbacks run in the page, hence globalThis: the project's TypeScript has no DOM types.
import type { Page } from 'playwright-core';

export interface DrawnChart {
  id: string;
  /** Chart.js's own view of it (Chart.getChart(canvas)), or null when no chart was made on it. */
  chart: { type: string; labels: string[]; datasets: { label: string; data: number[] }[] } | null;
  /** Canvas pixels with any opacity: 0 for a canvas nothing was drawn on. */
  painted: number;
}

/** Every canvas of the page, with its Chart.js chart and how much of it is painted. */
export function charts(page: Page): Promise<DrawnChart[]> {
  return page.evaluate(() => {
    const g = globalThis as any;
    return [...g.document.querySelectorAll('canvas')].map((canvas: any) => {
      const chart = g.Chart?.getChart?.(canvas);
      const { width, height } = canvas;
      const pixels: Uint8ClampedArray = width && height ? canvas.getContext('2d').getImageData(0, 0, width, height).data : new Uint8ClampedArray();
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
      const view = chart && {
        type: String(chart.config.type),
        labels: (chart.data.labels ?? []).map(String),
        datasets: chart.data.datasets.map((d: any) => ({ label: String(d.label), data: d.data.map(Number) })),
      };
      return { id: String(canvas.id ?? ''), chart: view ?? null, painted };
    });
  });
}

/**
 * Resolves once a canvas holds a Chart.js chart with painted pixels, with the page's own clock
 * then: milliseconds since its navigation started (redirects included), as the browser counts them.
 */
export async function chartDrawn(page: Page, timeout = 10_000): Promise<number> {
  const seen = await page.waitForFunction(
    () => {
      const g = globalThis as any;
      const drawn = [...g.document.querySelectorAll('canvas')].some((canvas: any) => {
        const chart = g.Chart?.getChart?.(canvas);
        if (!chart || !canvas.width || !canvas.height) return false;
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
        return false;
      });
      return drawn && g.performance.now();
    },
    undefined,
    { timeout, polling: 'raf' },
  );
  return Number(await seen.jsonValue());
}

/** How many of the rows matching `selector` are rendered (not display:none, not hidden). */
export function visibleCount(page: Page, selector: string): Promise<number> {
  return page.$$eval(selector, (rows: any[]) => rows.filter((r) => r.getClientRects().length > 0).length);
}
