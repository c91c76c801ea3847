import {
  Kind,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
  type InterfaceTypeDefinitionNode,
  type InterfaceTypeExtensionNode,
} from 'graphql';

type TypeNode =
  | ObjectTypeDefinitionNode
  | ObjectTypeExtensionNode
  | InterfaceTypeDefinitionNode
  | InterfaceTypeExtensionNode;

/** One field definition in a subgraph's SDL, with its type's directives alongside. */
export interface FieldSite {
  typeName: string;
  field: FieldDefinitionNode;
  typeDirectives: readonly ConstDirectiveNode[];
}

const isTypeNode = (node: DocumentNode['definitions'][number]): node is TypeNode =>
  node.kind === Kind.OBJECT_TYPE_DEFINITION ||
  node.kind === Kind.OBJECT_TYPE_EXTENSION ||
  node.kind === Kind.INTERFACE_TYPE_DEFINITION ||
  node.kind === Kind.INTERFACE_TYPE_EXTENSION;

/** Every field of every object and interface type in the SDL. */
export function fieldSites(doc: DocumentNode): FieldSite[] {
  return doc.definitions.filter(isTypeNode).flatMap((type) =>
    (type.fields ?? []).map((field) => ({
      typeName: type.name.value,
      field,
      typeDirectives: type.directives ?? [],
    })),
  );
}

/** The directive named `name` among `directives`, if present. */
export const directiveNamed = (
  directives: readonly ConstDirectiveNode[] | undefined,
  name: string,
): ConstDirectiveNode | undefined => directives?.find((d) => d.name.value === name);

/** True when the field, or its type, carries @confidential. */
export const isConfidential = (site: FieldSite): boolean =>
  Boolean(
    directiveNamed(site.field.directives, 'confidential') ??
    directiveNamed(site.typeDirectives, 'confidential'),
  );

/** Every use of a directive in the SDL, with the `Type` or `Type.field` it stands on. */
export function directiveUses(
  doc: DocumentNode,
): { coordinate: string; directive: ConstDirectiveNode }[] {
  const uses: { coordinate: string; directive: ConstDirectiveNode }[] = [];
  for (const node of doc.definitions.filter(isTypeNode)) {
    for (const directive of node.directives ?? [])
      uses.push({ coordinate: node.name.value, directive });
    for (const field of node.fields ?? []) {
      for (const directive of field.directives ?? [])
        uses.push({ coordinate: `${node.name.value}.${field.name.value}`, directive });
    }
  }
  return uses;
}
