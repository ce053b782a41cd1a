//! Placing text labels so that they never overlap: boxes in pixels and row stacking.

/// A text label's box in pixels: `left..right` × `top..bottom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BoxPx {
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
}

impl BoxPx {
    /// Whether the boxes share any pixel (the tests' check that labels never overlap).
    #[cfg(test)]
    pub fn overlaps(&self, other: &BoxPx) -> bool {
        self.left < other.right
            && other.left < self.right
            && self.top < other.bottom
            && other.top < self.bottom
    }
}

/// A label to place: the column of the thing it names (a marker line) and its text width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RowLabel {
    pub anchor: i32,
    pub width: i32,
}

/// Where [`stack_rows`] put a label: its horizontal extent and row (0 is nearest the plot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placed {
    pub left: i32,
    pub right: i32,
    pub row: usize,
}

/// Places labels in rows above a plot, each next to its anchor column, so that no two labels in a
/// row come closer than `gap` and — wherever possible — no label covers the line that runs from
/// the plot up to a label in a higher row.
///
/// A label starts just right of its anchor, or ends just left of it when it would run past
/// `x_max`. Labels are placed right to left, each in the lowest row that (1) is free, (2) has no
/// label in a lower row across its own anchor, and (3) is above every label whose anchor it
/// covers; when (2) cannot hold (anchors closer than a label is wide), (1) and (3) still do, so
/// labels never overlap.
pub(crate) fn stack_rows(labels: &[RowLabel], x_min: i32, x_max: i32, gap: i32) -> Vec<Placed> {
    let pad = gap / 2;
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(labels[i].anchor), i));
    let mut placed: Vec<Option<Placed>> = vec![None; labels.len()];
    for &i in &order {
        let RowLabel { anchor, width } = labels[i];
        let (left, right) = if anchor + pad + width <= x_max {
            (anchor + pad, anchor + pad + width)
        } else {
            (
                (anchor - pad - width).max(x_min),
                (anchor - pad).max(x_min + width),
            )
        };
        let others: Vec<(usize, Placed)> = placed
            .iter()
            .enumerate()
            .filter_map(|(j, p)| p.map(|p| (j, p)))
            .collect();
        let free = |row: usize| {
            others
                .iter()
                .all(|(_, p)| p.row != row || p.right + gap <= left || right + gap <= p.left)
        };
        let below_clear = |row: usize| {
            others
                .iter()
                .all(|(_, p)| p.row >= row || !(p.left..=p.right).contains(&anchor))
        };
        let above_covered = |row: usize| {
            others
                .iter()
                .all(|(j, p)| p.row <= row || !(left..=right).contains(&labels[*j].anchor))
        };
        let top = others.iter().map(|(_, p)| p.row + 1).max().unwrap_or(0);
        let row = (0..=top)
            .find(|&r| free(r) && below_clear(r) && above_covered(r))
            .or_else(|| (0..=top).find(|&r| free(r) && above_covered(r)))
            .unwrap_or(top);
        placed[i] = Some(Placed { left, right, row });
    }
    placed
        .into_iter()
        .map(|p| p.expect("every label placed"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxes(p: &[Placed], row_h: i32) -> Vec<BoxPx> {
        p.iter()
            .map(|p| BoxPx {
                left: p.left,
                right: p.right,
                top: -(p.row as i32 + 1) * row_h,
                bottom: -(p.row as i32) * row_h - 1,
            })
            .collect()
    }

    fn assert_disjoint(b: &[BoxPx]) {
        for (i, a) in b.iter().enumerate() {
            for c in &b[i + 1..] {
                assert!(!a.overlaps(c), "{a:?} overlaps {c:?}");
            }
        }
    }

    #[test]
    fn distant_labels_share_the_first_row() {
        let l = [
            RowLabel {
                anchor: 100,
                width: 80,
            },
            RowLabel {
                anchor: 300,
                width: 80,
            },
        ];
        let p = stack_rows(&l, 0, 1000, 8);
        assert_eq!(p.iter().map(|p| p.row).collect::<Vec<_>>(), [0, 0]);
        assert_eq!(p[0].left, 104);
    }

    #[test]
    fn clustered_labels_stack_and_never_overlap() {
        // Eight markers within 30 px, as P99 and three break-even rates at 100 % can be, and
        // three at the very right edge.
        let mut l: Vec<RowLabel> = (0..8)
            .map(|k| RowLabel {
                anchor: 400 + 4 * k,
                width: 90 + 10 * k,
            })
            .collect();
        l.extend((0..3).map(|_| RowLabel {
            anchor: 1000,
            width: 120,
        }));
        let p = stack_rows(&l, 0, 1000, 8);
        let b = boxes(&p, 20);
        assert_disjoint(&b);
        assert!(p.iter().all(|p| p.left >= 0 && p.right <= 1000), "{p:?}");
        // Left of the cluster's lines: each label sits above every label whose line it covers.
        for (i, a) in p.iter().enumerate() {
            for (j, c) in p.iter().enumerate() {
                if i != j && (a.left..=a.right).contains(&l[j].anchor) {
                    assert!(a.row >= c.row, "label {i} hides the line of label {j}");
                }
            }
        }
    }

    #[test]
    fn box_geometry() {
        let a = BoxPx {
            left: 0,
            top: 0,
            right: 10,
            bottom: 10,
        };
        let b = BoxPx {
            left: 10,
            top: 0,
            right: 20,
            bottom: 10,
        };
        assert!(!a.overlaps(&b), "touching edges do not overlap");
        let inner = BoxPx {
            left: 2,
            top: 2,
            right: 8,
            bottom: 8,
        };
        assert!(inner.overlaps(&a) && a.overlaps(&inner));
    }
}
