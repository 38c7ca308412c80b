import type { MemoryActor, MemoryProblem, MemoryStore, Stored } from "../agent/memory-store";
import { ToolInputError } from "../tools";
import { TeamMemoryRefusal, type TeamMemory } from "../tools";

function unwrap<T>(stored: Stored<T>): T {
  if (stored.ok) return stored.value;
  const problem: MemoryProblem = stored.problem;
  if ("refused" in problem) throw new TeamMemoryRefusal(problem.refused);
  throw new ToolInputError(problem.argument, problem.reason);
}

/** The tools' port onto one scope's MemoryStore, acting as `actor` (who the endpoint says is calling). */
export function storedTeamMemory(store: DurableObjectStub<MemoryStore>, actor: MemoryActor): TeamMemory {
  return {
    addAnnotation: async (annotation) => unwrap(await store.addAnnotation(annotation, actor)),
    listAnnotations: (siteId, from, to) => store.listAnnotations(siteId, from, to),
    deleteAnnotation: (id) => store.deleteAnnotation(id, actor),
    getAnnotation: (id) => store.getAnnotation(id),
    setTarget: async (target) => unwrap(await store.setTarget(target, actor)),
    getTarget: (siteId, metric, period) => store.getTarget(siteId, metric, period),
    setSiteContext: async (siteId, text) => {
      unwrap(await store.setSiteContext(siteId, text, actor));
    },
    getSiteContext: (siteId) => store.getSiteContext(siteId),
  };
}
