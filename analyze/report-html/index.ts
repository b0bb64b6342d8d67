/** The HTML report: the analysis report plus the collected series, as one self-contained page. */
import type { AnalysisReport } from '../report-types.js';
import { sessionCharts, type Chart } from './charts.js';
import { renderPage } from './page.js';
import type { CollectedSeries } from './series.js';
import { diagnosisCharts } from './diagnosis-charts.js';
import type { DiagnosisSeries } from '../diagnosis/types.js';

export { SeriesCollector } from './series.js';
export type { CollectedSeries } from './series.js';

/** `diagnosis(id)`: the diagnosis chart series of session `id` (DiagnosisCollector.series), when it ran. */
export async function renderHtmlReport(report: AnalysisReport, series: CollectedSeries, diagnosis?: (id: number) => DiagnosisSeries | null): Promise<string> {
  const chartsBySession = new Map<number, Chart[]>();
  for (const s of report.sessions) {
    const ser = series.sessions.find((x) => x.session === s.id);
    const diag = await diagnosisCharts(s, diagnosis?.(s.id) ?? null, ser);
    if (!ser) { chartsBySession.set(s.id, diag); continue; }
    chartsBySession.set(s.id, [...diag, ...(await sessionCharts(ser, s.subflows.map((f) => f.id), series.maxPoints))]);
  }
  return renderPage(report, chartsBySession);
}
