import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "../../src/agent/circuit-breaker";

const settings = { failureThreshold: 3, windowSeconds: 60, coolingOffSeconds: 30 };
const T0 = 1_000_000;

function opened(): CircuitBreaker {
  const circuit = new CircuitBreaker(settings);
  circuit.recordFailure(T0);
  circuit.recordFailure(T0 + 1_000);
  circuit.recordFailure(T0 + 2_000);
  return circuit;
}

describe("circuit breaker", () => {
  it("stays closed below the threshold and says calls go through (0 s)", () => {
    const circuit = new CircuitBreaker(settings);
    expect(circuit.recordFailure(T0)).toBe(0);
    expect(circuit.recordFailure(T0 + 1_000)).toBe(0);
    expect(circuit.admit(T0 + 2_000)).toEqual({ admitted: true });
  });

  it("opens at the threshold within the window and fails fast for the cooling-off period", () => {
    const circuit = new CircuitBreaker(settings);
    circuit.recordFailure(T0);
    circuit.recordFailure(T0 + 1_000);
    expect(circuit.recordFailure(T0 + 2_000)).toBe(30);
    expect(circuit.admit(T0 + 2_000)).toEqual({ admitted: false, retryAfterSeconds: 30 });
    expect(circuit.admit(T0 + 22_500)).toEqual({ admitted: false, retryAfterSeconds: 10 });
  });

  it("forgets failures older than the window", () => {
    const circuit = new CircuitBreaker(settings);
    circuit.recordFailure(T0);
    circuit.recordFailure(T0 + 1_000);
    expect(circuit.recordFailure(T0 + 61_000)).toBe(0);
    expect(circuit.admit(T0 + 61_000)).toEqual({ admitted: true });
  });

  it("a success resets the count", () => {
    const circuit = new CircuitBreaker(settings);
    circuit.recordFailure(T0);
    circuit.recordFailure(T0 + 1_000);
    circuit.recordSuccess();
    expect(circuit.recordFailure(T0 + 2_000)).toBe(0);
  });

  it("is clean, with nothing for a success to clear, only before any failure and after a success", () => {
    const circuit = new CircuitBreaker(settings);
    expect(circuit.clean).toBe(true);
    circuit.recordFailure(T0);
    expect(circuit.clean).toBe(false);
    circuit.recordSuccess();
    expect(circuit.clean).toBe(true);
    const open = opened();
    expect(open.clean).toBe(false);
    open.admit(T0 + 2_000 + 30_000);
    expect(open.clean).toBe(false);
    open.recordSuccess();
    expect(open.clean).toBe(true);
  });

  it("after cooling off lets exactly one probe through; its success closes the circuit", () => {
    const circuit = opened();
    const afterCooling = T0 + 2_000 + 30_000;
    expect(circuit.check(afterCooling)).toEqual({ admitted: true });
    expect(circuit.admit(afterCooling)).toEqual({ admitted: true });
    expect(circuit.admit(afterCooling + 100)).toEqual({ admitted: false, retryAfterSeconds: 5 });
    circuit.recordSuccess();
    expect(circuit.admit(afterCooling + 200)).toEqual({ admitted: true });
    expect(circuit.admit(afterCooling + 300)).toEqual({ admitted: true });
  });

  it("a failed probe opens it again for a full cooling-off period", () => {
    const circuit = opened();
    const afterCooling = T0 + 2_000 + 30_000;
    circuit.admit(afterCooling);
    expect(circuit.recordFailure(afterCooling + 1_000)).toBe(30);
    expect(circuit.admit(afterCooling + 1_000)).toEqual({ admitted: false, retryAfterSeconds: 30 });
  });

  it("lets another probe through when one was never reported", () => {
    const circuit = opened();
    const afterCooling = T0 + 2_000 + 30_000;
    circuit.admit(afterCooling);
    expect(circuit.admit(afterCooling + 1_000).admitted).toBe(false);
    expect(circuit.admit(afterCooling + 60_000)).toEqual({ admitted: true });
  });

  it("check never claims the probe", () => {
    const circuit = opened();
    const afterCooling = T0 + 2_000 + 30_000;
    expect(circuit.check(afterCooling)).toEqual({ admitted: true });
    expect(circuit.check(afterCooling)).toEqual({ admitted: true });
    expect(circuit.admit(afterCooling)).toEqual({ admitted: true });
  });
});
