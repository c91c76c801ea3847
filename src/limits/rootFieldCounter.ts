import { Kind, type SelectionSetNode, type ValidationContext } from 'graphql';

/**
 * A counter of the fields a selection set selects at its own level whose name `counted` accepts,
 * every alias once, including those reached through inline and named fragments (a named fragment
 * is walked once per validation). The operation rules that bound root fields share it.
 */
export function rootFieldCounter(
  context: ValidationContext,
  counted: (fieldName: string) => boolean,
): (set: SelectionSetNode) => number {
  const fragmentCounts = new Map<string, number>();
  const walking = new Set<string>();

  const count = (set: SelectionSetNode): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) total += counted(selection.name.value) ? 1 : 0;
      else if (selection.kind === Kind.INLINE_FRAGMENT) total += count(selection.selectionSet);
      else total += spread(selection.name.value);
    }
    return total;
  };

  const spread = (name: string): number => {
    const known = fragmentCounts.get(name);
    if (known !== undefined) return known;
    const fragment = context.getFragment(name);
    if (!fragment || walking.has(name)) return 0; // cycles are refused before these rules run
    walking.add(name);
    const total = count(fragment.selectionSet);
    walking.delete(name);
    fragmentCounts.set(name, total);
    return total;
  };

  return count;
}
