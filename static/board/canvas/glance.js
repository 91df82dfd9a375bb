// What a column header's hover says: count, both times in stage (labelled so
// they are never mixed up), the SLA and its overdue, conversion. Pure.

import { TIME_IN_STAGE_LABELS as LABEL } from '../generated/contract.js';
import { count, percent } from '../core/format.js';

const days = (n) => `${Number(n).toFixed(1)} days`;

/** ``col``: a column of core/model.js (``medianDays``: the funnel's median of the
 * visits that left the stage; ``medianAgeDays``: /state/'s median age of the
 * leads in it now). */
export function headerTipText(col) {
  const lines = [`${col.name}: ${count(col.count)} leads`];
  if (col.medianAgeDays != null) lines.push(`${LABEL.current_median_age_days}: ${days(col.medianAgeDays)} in ${col.name} so far`);
  if (col.medianDays != null) lines.push(`${LABEL.median_days}: ${days(col.medianDays)}, the leads that moved on`);
  if (col.sla_days != null) lines.push(`SLA ${col.sla_days} days: ${count(col.overdue)} overdue (red ring: past it)`);
  if (col.conversion != null && col.nextName) lines.push(`${percent(col.conversion)} reached ${col.nextName}`);
  return lines.join('\n');
}
