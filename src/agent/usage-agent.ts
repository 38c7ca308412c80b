// TEMPORARY scaffold (owner: lead).
import { Agent } from "agents";
export class UsageAgent extends Agent<Env> {
  ping() {
    return "pong";
  }
}
