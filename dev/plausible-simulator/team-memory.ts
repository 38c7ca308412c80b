// Team memory held in a Map: what the tools see in-process (tool tests, calibration, the synthetic
// context), following the rules of the server's store (src/agent/memory-store.ts): identical
// annotations are stored once, and a member who is not an administrator deletes only their own
// annotations and sets no targets.

import { TeamMemoryRefusal, ToolInputError, type TeamMemory } from "../../src/tools";
import type { Annotation, Target } from "../../src/tools/team-memory";

/** Who calls: a member of the team (/internal) or the holder of a key (the default). */
type InMemoryActor = { email: string; admin: boolean } | undefined;

interface InMemoryState {
  annotations: Map<string, Annotation>;
  targets: Map<string, Target>;
  contexts: Map<string, string>;
  /** Annotations added so far, for ids that are never reused. */
  added: number;
}

export function emptyMemoryState(): InMemoryState {
  return { annotations: new Map(), targets: new Map(), contexts: new Map(), added: 0 };
}

export function inMemoryTeamMemory(state: InMemoryState = emptyMemoryState(), actor: InMemoryActor = undefined): TeamMemory {
  const targetKey = (siteId: string, metric: string, period: string) => JSON.stringify([siteId, metric, period]);
  return {
    async addAnnotation(annotation) {
      const text = annotation.text.trim();
      const existing = [...state.annotations.values()].find(
        (stored) =>
          stored.siteId === annotation.siteId && stored.at === annotation.at && stored.text === text && stored.kind === annotation.kind,
      );
      if (existing) return { annotation: existing, created: false };
      state.added += 1;
      const id = `ann_${String(state.added).padStart(16, "0")}`;
      const stored: Annotation = {
        ...annotation,
        text,
        id,
        date: annotation.at.slice(0, 10),
        ...(actor ? { author: actor.email } : {}),
        createdAt: new Date().toISOString(),
      };
      state.annotations.set(id, stored);
      return { annotation: stored, created: true };
    },
    async listAnnotations(siteId, from, to) {
      return [...state.annotations.values()]
        .filter((annotation) => annotation.siteId === siteId && annotation.date >= from && annotation.date <= to)
        .sort((a, b) => a.at.localeCompare(b.at));
    },
    async deleteAnnotation(id) {
      const annotation = state.annotations.get(id);
      if (!annotation) return { deleted: false, refused: "not_found" };
      if (actor && !actor.admin && annotation.author !== actor.email) return { deleted: false, refused: "not_author" };
      state.annotations.delete(id);
      return { deleted: true };
    },
    async getAnnotation(id) {
      return state.annotations.get(id) ?? null;
    },
    async setTarget(target) {
      if (actor && !actor.admin) throw new TeamMemoryRefusal("only an administrator (ADMIN_EMAILS) sets the team's targets");
      if (!(target.value > 0)) throw new ToolInputError("value", "give the period's total as a positive number");
      state.targets.set(targetKey(target.siteId, target.metric, target.period), { ...target });
      return { ...target };
    },
    async getTarget(siteId, metric, period) {
      return state.targets.get(targetKey(siteId, metric, period)) ?? null;
    },
    async setSiteContext(siteId, text) {
      if (text.trim()) state.contexts.set(siteId, text.trim());
      else state.contexts.delete(siteId);
    },
    async getSiteContext(siteId) {
      return state.contexts.get(siteId) ?? null;
    },
  };
}
