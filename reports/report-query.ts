// The SQL of a report. Trusted text written here; every value from the caller is a bound
// {name:Type} parameter, never part of the SQL. The figures come from the views of
// migration 2 (store/migrations.ts), the same ones the SQL console offers.
import { DATABASE } from '../store/migrations.js';
import type { ReportRequest } from './report-params.js';

export interface BuiltQuery {
  sql: string;
  params: Record<string, unknown>;
}

const VIEW_ARGS = 'tz = {tz:String}, from = {from:String}, to = {to:String}';
const AGENT_FILTER = '(empty({agents:Array(String)}) OR has({agents:Array(String)}, agent))';

function params(req: ReportRequest): Record<string, unknown> {
  return {
    tz: req.tz,
    // Instants with "Z": the views read an offset-less time in tz, an explicit one as given.
    from: new Date(req.fromMs).toISOString(),
    to: new Date(req.toMs).toISOString(),
    agents: req.agents,
  };
}

/** One row per day (in tz) and agent. */
export function summaryQuery(req: ReportRequest): BuiltQuery {
  return {
    sql: `SELECT * FROM ${DATABASE}.daily_agent_summary(${VIEW_ARGS}) WHERE ${AGENT_FILTER} ORDER BY day, agent`,
    params: params(req),
  };
}

/**
 * Every reply in the range. No ORDER BY: sorting a million rows holds them all in memory,
 * while storage order (agent, day, conversation) streams with flat memory.
 */
export function detailQuery(req: ReportRequest): BuiltQuery {
  return {
    sql: `SELECT * FROM ${DATABASE}.reply_details(${VIEW_ARGS}) WHERE ${AGENT_FILTER}`,
    params: params(req),
  };
}

/** How many detail rows the export will have, for the progress bar. */
export function detailCountQuery(req: ReportRequest): BuiltQuery {
  return {
    sql: `SELECT count() FROM ${DATABASE}.reply_details(${VIEW_ARGS}) WHERE ${AGENT_FILTER}`,
    params: params(req),
  };
}
