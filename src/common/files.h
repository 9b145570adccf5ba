/* files.h — small file-system helpers. */
#ifndef TD_FILES_H
#define TD_FILES_H

/* Removes path and, when it is a folder, everything under it, deepest
 * first, without following symbolic links. 0 when it is gone (or was
 * never there), -1 with errno otherwise. */
int td_remove_tree(const char *path);

#endif
