import { describeCalibration } from "./calibration-suite";

// Null scenarios: at most 5 % of quiet weeks show a flagged day or a segment anomaly (either counts); power: a fivefold
// spike of one small source (Hacker News, 3 % of visits) on one day is found in at least 80 % of weeks.
describeCalibration("explain_change", new Date("2026-06-15T12:00:00Z"));
