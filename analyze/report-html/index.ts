/** The HTML report: the analysis report plus the collected series, as one self-contained page. */
import type { AnalysisReport } from '../report-types.js';
import { sessionCharts, type Chart } from './charts.js';
import { renderPage } from './page.js';
import type { CollectedSeries } from './series.js';

export { SeriesCollector } from './series.js';
export type { CollectedSeries } from './series.js';

export async function renderHtmlReport(report: AnalysisReport, series: CollectedSeries): Promise<string> {
  const chartsBySession = new Map<number, Chart[]>();
  for (const s of report.sessions) {
    const ser = series.sessions.find((x) => x.session === s.id);
    if (!ser) continue;
    chartsBySession.set(s.id, await sessionCharts(ser, s.subflows.map((f) => f.id), series.maxPoints));
  }
  return renderPage(report, chartsBySession);
}
