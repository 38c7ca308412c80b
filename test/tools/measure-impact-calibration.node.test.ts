import { describeCalibration } from "./calibration-suite";

/** A Wednesday in mid-month, as in npm run calibrate. */
describeCalibration("measure_impact", new Date("2026-06-17T10:00:00Z"));
