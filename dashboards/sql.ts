// SQL fragments every dashboard shares. Panels are plain SQL strings with the plugin's macros;
// these keep the filters identical across panels, so "All agents" means the same everywhere.
import { DEAD_LETTERS_TABLE, REPLIES_TABLE } from '../store/migrations.js';

export const REPLIES = REPLIES_TABLE;
export const DEAD_LETTERS = DEAD_LETTERS_TABLE;

/**
 * The `agent` variable as a filter. With All (or nothing) selected the plugin turns the whole
 * macro into 1=1, so the engine never sees an IN list of every agent. singlequote escapes
 * quotes inside values; the plugin's default formatter does not.
 */
export const AGENT_FILTER = '$__conditionalAll(agent IN (${agent:singlequote}), $agent)';

/**
 * Rows whose `column` lies in the dashboard's range, for the selected agents. The _ms form
 * because every time column is DateTime64(3): a second-precision bound would drop or add
 * up to a second of rows at each end.
 */
export const inRange = (column = 'event_time'): string => `$__timeFilter_ms(${column}) AND ${AGENT_FILTER}`;

/**
 * Fills empty buckets of a count series with zeros from the start to the end of the range:
 * without it Grafana draws a line straight across an hour with no replies. `time` must be
 * the $__timeInterval bucket.
 */
export const FILL_BUCKETS = 'ORDER BY time WITH FILL FROM toStartOfInterval($__fromTime, INTERVAL $__interval_s second) TO $__toTime STEP $__interval_s';

/** Milliseconds from the payload's event time until ingest received the request. */
export const DELIVERY_MS = "dateDiff('millisecond', event_time, received_at)";
/** Milliseconds from receipt until the row was inserted (queue + batch + insert). */
export const PIPELINE_MS = "dateDiff('millisecond', received_at, stored_at)";
