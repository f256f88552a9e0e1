import { ActionIcon, Group, Text } from "@mantine/core";
import { IconEdit, IconTrash } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";
import { confirmDanger } from "../lib/feedback";

/** The pencil and bin of a table row; the bin asks for confirmation first. Each shows only when allowed. */
export function RowActions({ name, canEdit, canDelete, onEdit, deleteTitle, deleteMessage, onDelete }: {
  name: string;
  canEdit: boolean;
  canDelete: boolean;
  onEdit: () => void;
  deleteTitle: string;
  deleteMessage: string;
  onDelete: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Group gap={4} wrap="nowrap">
      {canEdit && <ActionIcon variant="subtle" aria-label={`${t("common.edit")} ${name}`} onClick={onEdit}><IconEdit size={18} /></ActionIcon>}
      {canDelete && (
        <ActionIcon variant="subtle" color="red" aria-label={`${t("common.delete")} ${name}`}
          onClick={() => confirmDanger({ title: deleteTitle, confirmLabel: t("common.delete"),
            message: <Text size="sm">{deleteMessage}</Text>, onConfirm: onDelete })}>
          <IconTrash size={18} />
        </ActionIcon>
      )}
    </Group>
  );
}
