//! Reads the world's attributes ([`super::ATTRIBUTES`]) back from the pixels of a face crop.
//!
//! The crop is resampled to the drawing's crop size, the face is located (its position and
//! size vary), and each attribute is decided from colour statistics of a region placed
//! relative to the face. Most statistics are compared with the skin or hair colour measured
//! in the same image, so blur and colour shifts move both sides of a comparison alike.
//! Regions are in face units (see [`super::face`]) and keep a margin of a few units from
//! the drawn cues they measure, to tolerate localisation errors.

use image::RgbImage;
use image::imageops::{FilterType, resize};

use super::face::{Colour, FACE_CENTRE, FACE_HALF_HEIGHT, FACE_HALF_WIDTH, HairColour, lerp};
use super::world::{
    BALD, BANGS, BLACK_HAIR, BLOND_HAIR, BROWN_HAIR, BUSHY_EYEBROWS, CROP_BOX, EYEGLASSES, MALE, MOUTH_SLIGHTLY_OPEN,
    MUSTACHE, N_ATTRIBUTES, NO_BEARD, PALE_SKIN, YOUNG,
};

/// Side of the drawing's crop ([`CROP_BOX`]): inputs are resampled to it, and face units are
/// its pixels.
const CROP_SIZE: u32 = CROP_BOX.width;

/// A rectangle in face units; a mirrored region also covers its mirror image across the
/// vertical centre line of the face (for paired features such as cheeks and eyes).
#[derive(Clone, Copy)]
struct Region {
    x: (f32, f32),
    y: (f32, f32),
    mirrored: bool,
}

const fn pair(x0: f32, x1: f32, y0: f32, y1: f32) -> Region {
    Region { x: (x0, x1), y: (y0, y1), mirrored: true }
}

const fn centred(half_width: f32, y0: f32, y1: f32) -> Region {
    Region { x: (-half_width, half_width), y: (y0, y1), mirrored: false }
}

/// Bare skin on every face: below the glasses, beside the folds, above the beard.
const CHEEKS: Region = pair(28.0, 44.0, 8.0, 18.0);
/// Rows where the face edges are found: from below the glasses arms to above the beard,
/// where nothing covers the outline.
const EDGE_ROWS: (f32, f32) = (-3.0, 19.0);
/// Half-width of the face at the middle edge row relative to its full half-width (0.993
/// for the female outline, 1 for the male one).
const EDGE_WIDTH_FACTOR: f32 = 0.996;
/// Where the search for the face edges starts along each edge row: on the cheek, outside
/// the rims of glasses.
const EDGE_SCAN_START: f32 = 38.0;
/// Side hair beside the temples, present on bald heads too.
const HAIR_SIDES: Region = pair(57.0, 66.0, -28.0, -10.0);
/// Top of the skull: skin when bald, hair otherwise.
const SCALP: Region = centred(14.0, -62.0, -55.0);
/// Forehead between the wrinkles and the brows: hair with bangs, skin otherwise.
const FOREHEAD: Region = centred(16.0, -40.0, -35.0);
/// The band of the eyebrows, wide enough for the thickest.
const BROWS: Region = pair(9.0, 35.0, -31.0, -16.0);
/// The eyes with the rims of any glasses around them.
const GLASSES: Region = pair(5.0, 37.0, -14.0, 6.0);
/// Cheeks between nose and mouth, crossed by the folds of an old face.
const FOLDS: Region = pair(17.0, 30.0, 10.0, 28.0);
const MUSTACHE_BAND: Region = centred(12.0, 16.0, 23.0);
/// The middle of the mouth: dark inside an open mouth, half covered by closed lips.
const MOUTH: Region = centred(9.0, 30.0, 37.0);
const CHIN: Region = centred(15.0, 47.0, 60.0);
/// Jaw corners: inside the square male jaw, outside the narrow female chin.
const JAW: Region = pair(36.0, 46.0, 46.0, 56.0);

/// Side of the square corner patches of the crop where the background is measured.
const CORNER_PATCH: usize = 10;
/// Colour distance within which a pixel counts as skin when finding the face edges.
const SKIN_TOLERANCE: f32 = 28.0;
/// A pixel counts as background within this fraction of the skin-to-background distance,
/// but never beyond `MAX_BACKGROUND_TOLERANCE`.
const BACKGROUND_TOLERANCE: f32 = 0.5;
const MAX_BACKGROUND_TOLERANCE: f32 = 35.0;
/// Half-width in pixels of the column strip scanned for the chin.
const CHIN_STRIP: i32 = 3;
/// An edge is smeared over about this many input pixels either side by the resampling
/// (most of it within one pixel, though CatmullRom reaches two), plus a margin in crop
/// pixels; colours on either side of an edge are sampled about that far from it.
const BLUR_REACH_PIXELS: f32 = 1.0;
const BLUR_REACH_MARGIN: f32 = 2.0;
/// Passes of binomial smoothing (each a blur of one crop pixel) before measuring: they
/// damp pixel noise, so that a noisy pixel cannot stop an edge search, and change no region
/// mean much.
const SMOOTHING_PASSES: usize = 2;
/// The binomial smoothing kernel.
const BINOMIAL: [f32; 5] = [1.0 / 16.0, 4.0 / 16.0, 6.0 / 16.0, 4.0 / 16.0, 1.0 / 16.0];
/// Passes of locating: each refines the rows and columns the next one looks at.
const LOCATE_PASSES: usize = 3;
/// Plausible face sizes, guarding against a failed localisation.
const SCALE_LIMITS: (f32, f32) = (0.85, 1.15);

/// Decision thresholds on the measurements below.
const HAIR_SHARE: f32 = 0.5;
const BUSHY_BROWS: f32 = 0.3;
const GLASSES_DARKNESS: f32 = 0.12;
const JAW_SHARE: f32 = 0.5;
const OPEN_MOUTH: f32 = 0.4;
const MUSTACHE_DARKNESS: f32 = 0.2;
const BEARD_DARKNESS: f32 = 0.25;
const PALE_LUMINANCE: f32 = 210.0;
const FOLD_DARKNESS: f32 = 0.085;

/// Reads the attributes from a square crop (the [`CROP_BOX`] of a drawn face, resized to any
/// side from 32 to 170 pixels, e.g. with bicubic CatmullRom filtering), or from a GAN's
/// output of that size, which will be blurrier and have shifted colours.
pub fn read_attributes(crop: &RgbImage) -> [bool; N_ATTRIBUTES] {
    Measurements::of(crop).attributes()
}

/// The luminance of the skin the oracle measures on the cheeks (Rec. 601 weights, 0-255): it
/// reads `Pale_Skin` above 210. For probing what a generator does to the skin.
pub fn skin_luminance(crop: &RgbImage) -> f32 {
    Measurements::of(crop).skin_luminance
}

/// The statistics the attributes are decided from.
struct Measurements {
    hair: HairColour,
    /// How far the scalp colour lies from skin (0) towards hair (1).
    scalp_hair: f32,
    /// How far the forehead colour lies from skin (0) towards hair (1).
    forehead_hair: f32,
    /// Relative darkness (1 - luminance / skin luminance) of each region.
    brows: f32,
    glasses: f32,
    mouth: f32,
    mustache: f32,
    chin: f32,
    folds: f32,
    /// How far the jaw-corner colour lies from background (0) towards the chin colour (1):
    /// the chin is skin or beard, and so are the corners of a male jaw.
    jaw: f32,
    skin_luminance: f32,
}

impl Measurements {
    fn of(crop: &RgbImage) -> Self {
        let image = Pixels::new(crop);
        let background = image.background();
        let frame = locate(&image, background);
        let skin = median(&frame.pixels(&image, CHEEKS));
        let hair = median(&frame.pixels(&image, HAIR_SIDES));
        let mean_of = |region| mean(&frame.pixels(&image, region));
        let darkness = |region| 1.0 - luminance(mean_of(region)) / luminance(skin).max(1.0);
        let hair_share = |region| share_towards(mean_of(region), skin, hair);
        Measurements {
            hair: nearest_hair_colour(hair),
            scalp_hair: hair_share(SCALP),
            forehead_hair: hair_share(FOREHEAD),
            brows: darkness(BROWS),
            glasses: darkness(GLASSES),
            mouth: darkness(MOUTH),
            mustache: darkness(MUSTACHE_BAND),
            chin: darkness(CHIN),
            folds: darkness(FOLDS),
            jaw: share_towards(mean_of(JAW), background, mean_of(CHIN)),
            skin_luminance: luminance(skin),
        }
    }

    fn attributes(&self) -> [bool; N_ATTRIBUTES] {
        let mut attrs = [false; N_ATTRIBUTES];
        attrs[BALD] = self.scalp_hair < HAIR_SHARE;
        attrs[BANGS] = self.forehead_hair > HAIR_SHARE;
        attrs[BLACK_HAIR] = self.hair == HairColour::Black;
        attrs[BLOND_HAIR] = self.hair == HairColour::Blond;
        attrs[BROWN_HAIR] = self.hair == HairColour::Brown;
        attrs[BUSHY_EYEBROWS] = self.brows > BUSHY_BROWS;
        attrs[EYEGLASSES] = self.glasses > GLASSES_DARKNESS;
        attrs[MALE] = self.jaw > JAW_SHARE;
        attrs[MOUTH_SLIGHTLY_OPEN] = self.mouth > OPEN_MOUTH;
        attrs[MUSTACHE] = self.mustache > MUSTACHE_DARKNESS;
        attrs[NO_BEARD] = self.chin <= BEARD_DARKNESS;
        attrs[PALE_SKIN] = self.skin_luminance > PALE_LUMINANCE;
        attrs[YOUNG] = self.folds <= FOLD_DARKNESS;
        attrs
    }
}

/// The crop as float colours at the drawing's crop size.
struct Pixels {
    side: usize,
    data: Vec<Colour>,
    /// Size of an input pixel in crop pixels.
    footprint: f32,
}

impl Pixels {
    fn new(crop: &RgbImage) -> Self {
        assert!(crop.width() > 0 && crop.height() > 0, "the crop is empty");
        // Bilinear sampling suits enlarging; larger inputs are first reduced properly.
        let reduced;
        let source = if crop.width() > CROP_SIZE || crop.height() > CROP_SIZE {
            reduced = resize(crop, CROP_SIZE, CROP_SIZE, FilterType::Triangle);
            &reduced
        } else {
            crop
        };
        let side = CROP_SIZE as usize;
        let mut data = enlarge(source, side);
        for _ in 0..SMOOTHING_PASSES {
            data = smooth(&data, side);
        }
        let footprint = CROP_SIZE as f32 / crop.width() as f32;
        Pixels { side, data, footprint }
    }

    fn at(&self, x: usize, y: usize) -> Colour {
        self.data[y * self.side + x]
    }

    /// The pixel index nearest to a crop coordinate, inside the image.
    fn clamp(&self, coordinate: f32) -> usize {
        (coordinate.max(0.0) as usize).min(self.side - 1)
    }

    /// How far an edge is smeared by the input's resolution and the resampling, in pixels.
    fn blur_reach(&self) -> f32 {
        BLUR_REACH_PIXELS * self.footprint.max(1.0) + BLUR_REACH_MARGIN
    }

    /// Following a line of pixels (`sample(step)` for steps of one pixel outwards) from
    /// inside a region of colour `inside`, the fractional step where the line crosses the
    /// region's edge, or None when the line does not start inside.
    fn edge(&self, sample: impl Fn(f32) -> Colour, inside: Colour) -> Option<f32> {
        let is_inside = |step: f32| distance(sample(step), inside) < SKIN_TOLERANCE;
        if !is_inside(0.0) {
            return None;
        }
        let limit = self.side as f32;
        let leave = (1..self.side).map(|step| step as f32).find(|&step| !is_inside(step))?;
        let outside = sample(leave + self.blur_reach());
        halfway(sample, inside, outside, limit)
    }

    /// The background colour, from the crop corners, which no face reaches.
    fn background(&self) -> Colour {
        let far = self.side - CORNER_PATCH;
        let mut samples = Vec::with_capacity(4 * CORNER_PATCH * CORNER_PATCH);
        for (x0, y0) in [(0, 0), (far, 0), (0, far), (far, far)] {
            for y in y0..y0 + CORNER_PATCH {
                for x in x0..x0 + CORNER_PATCH {
                    samples.push(self.at(x, y));
                }
            }
        }
        median(&samples)
    }
}

/// `image` resampled bilinearly to `side` x `side` float colours, pixel centres aligned.
fn enlarge(image: &RgbImage, side: usize) -> Vec<Colour> {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let source: Vec<Colour> = image.pixels().map(|p| p.0.map(f32::from)).collect();
    // For each output index: the two source indices to blend and the blend weight.
    let taps = |length: usize| -> Vec<(usize, usize, f32)> {
        (0..side)
            .map(|i| {
                let position = (i as f32 + 0.5) * length as f32 / side as f32 - 0.5;
                let position = position.clamp(0.0, (length - 1) as f32);
                let first = position.floor() as usize;
                (first, (first + 1).min(length - 1), position - first as f32)
            })
            .collect()
    };
    let (columns, rows) = (taps(width), taps(height));
    let mut out = Vec::with_capacity(side * side);
    for &(y0, y1, fy) in &rows {
        for &(x0, x1, fx) in &columns {
            let top = lerp(source[y0 * width + x0], source[y0 * width + x1], fx);
            let bottom = lerp(source[y1 * width + x0], source[y1 * width + x1], fx);
            out.push(lerp(top, bottom, fy));
        }
    }
    out
}

/// One pass of a separable binomial blur over a square image, edges clamped.
fn smooth(data: &[Colour], side: usize) -> Vec<Colour> {
    let reach = BINOMIAL.len() / 2;
    let taps: Vec<[usize; 5]> =
        (0..side).map(|i| std::array::from_fn(|k| (i + k).saturating_sub(reach).min(side - 1))).collect();
    // Blurs along lines of pixels, `line_stride` apart, of pixels `along_stride` apart.
    let blur = |input: &[Colour], line_stride: usize, along_stride: usize| {
        let mut output = vec![[0.0; 3]; input.len()];
        for line in 0..side {
            for (along, positions) in taps.iter().enumerate() {
                let mut sum = [0.0; 3];
                for (&position, weight) in positions.iter().zip(BINOMIAL) {
                    let p = input[line * line_stride + position * along_stride];
                    sum = std::array::from_fn(|c| sum[c] + weight * p[c]);
                }
                output[line * line_stride + along * along_stride] = sum;
            }
        }
        output
    };
    let across = blur(data, side, 1);
    blur(&across, 1, side)
}

/// Index range of the pixels whose centres lie between two crop coordinates (at least the
/// nearest pixel, so tiny regions are never empty).
fn span(from: f32, to: f32, side: usize) -> std::ops::Range<usize> {
    let first = ((from - 0.5).ceil().max(0.0) as usize).min(side - 1);
    let end = ((to - 0.5).ceil().max(0.0) as usize).clamp(first + 1, side);
    first..end
}

/// Where the face lies in the crop: its centre in crop pixels and its size.
struct Frame {
    centre: (f32, f32),
    scale: f32,
}

impl Frame {
    fn pixels(&self, image: &Pixels, region: Region) -> Vec<Colour> {
        let (cx, cy, s) = (self.centre.0, self.centre.1, self.scale);
        let rows = span(cy + region.y.0 * s, cy + region.y.1 * s, image.side);
        let mut columns = vec![span(cx + region.x.0 * s, cx + region.x.1 * s, image.side)];
        if region.mirrored {
            columns.push(span(cx - region.x.1 * s, cx - region.x.0 * s, image.side));
        }
        let mut pixels = Vec::new();
        for y in rows {
            for xs in &columns {
                pixels.extend(xs.clone().map(|x| image.at(x, y)));
            }
        }
        pixels
    }
}

/// Finds the face: its centre and size from the skin edges along the edge rows, then its
/// vertical position from the chin, the lowest point that is not background (nothing is
/// drawn below it).
fn locate(image: &Pixels, background: Colour) -> Frame {
    let mut frame = Frame { centre: FACE_CENTRE, scale: 1.0 };
    for _ in 0..LOCATE_PASSES {
        let skin = median(&frame.pixels(image, CHEEKS));
        if let Some((left, right)) = face_edges(image, &frame, skin) {
            frame.centre.0 = (left + right) / 2.0;
            let half_width = (right - left) / 2.0;
            frame.scale = (half_width / (FACE_HALF_WIDTH * EDGE_WIDTH_FACTOR)).clamp(SCALE_LIMITS.0, SCALE_LIMITS.1);
        }
        if let Some(chin) = chin(image, &frame, skin, background) {
            frame.centre.1 = chin - FACE_HALF_HEIGHT * frame.scale;
        }
    }
    frame
}

/// Left and right face edges in crop coordinates. Along each edge row, skin is followed
/// outwards from the cheek past the outline; the median row gives the face width, so rows
/// blurred together with the bottom of the side hair do not count.
fn face_edges(image: &Pixels, frame: &Frame, skin: Colour) -> Option<(f32, f32)> {
    let (cx, cy, s) = (frame.centre.0, frame.centre.1, frame.scale);
    let (mut lefts, mut rights) = (Vec::new(), Vec::new());
    for y in span(cy + EDGE_ROWS.0 * s, cy + EDGE_ROWS.1 * s, image.side) {
        let row = |x: f32| image.at(image.clamp(x), y);
        // Starting on a pixel centre makes each step land on one.
        let start = (cx - EDGE_SCAN_START * s).floor() + 0.5;
        lefts.extend(image.edge(|step| row(start - step), skin).map(|step| start - step));
        let start = (cx + EDGE_SCAN_START * s).floor() + 0.5;
        rights.extend(image.edge(|step| row(start + step), skin).map(|step| start + step));
    }
    lefts.sort_by(f32::total_cmp);
    rights.sort_by(f32::total_cmp);
    let middle = |edges: &[f32]| edges.get(edges.len() / 2).copied();
    let (left, right) = (middle(&lefts)?, middle(&rights)?);
    (right > left).then_some((left, right))
}

/// The lower edge of the chin in crop coordinates, going down a strip from the face centre.
fn chin(image: &Pixels, frame: &Frame, skin: Colour, background: Colour) -> Option<f32> {
    let columns: Vec<usize> = (-CHIN_STRIP..=CHIN_STRIP).map(|dx| image.clamp(frame.centre.0 + dx as f32)).collect();
    let strip = |y: f32| {
        let y = image.clamp(y);
        mean(&columns.iter().map(|&x| image.at(x, y)).collect::<Vec<_>>())
    };
    // Upwards from the bottom, the first strip that is not background is on the face: its
    // colour (skin or beard) is the inside colour of the chin edge.
    let tolerance = background_tolerance(skin, background);
    let bottom = image.side as f32 - 0.5;
    let rise =
        (0..image.side).map(|step| step as f32).find(|&step| distance(strip(bottom - step), background) > tolerance)?;
    // The rise is where the edge starts to show, so the inside lies a full smear above it.
    let start = bottom - rise - 2.0 * image.blur_reach();
    let inside = strip(start);
    let step = halfway(|step| strip(start + step), inside, background, image.side as f32)?;
    Some(start + step)
}

fn background_tolerance(skin: Colour, background: Colour) -> f32 {
    (BACKGROUND_TOLERANCE * distance(skin, background)).min(MAX_BACKGROUND_TOLERANCE)
}

fn nearest_hair_colour(colour: Colour) -> HairColour {
    let by_distance = |h: &HairColour| distance(colour, h.prototype());
    let closest = HairColour::ALL.into_iter().min_by(|a, b| by_distance(a).total_cmp(&by_distance(b)));
    closest.expect("there are hair colours")
}

/// Position of `colour` projected on the line from `from` (0) to `to` (1).
fn share_towards(colour: Colour, from: Colour, to: Colour) -> f32 {
    let axis: Colour = std::array::from_fn(|c| to[c] - from[c]);
    let offset: Colour = std::array::from_fn(|c| colour[c] - from[c]);
    let length = dot(axis, axis);
    if length < 1.0 { 0.0 } else { dot(offset, axis) / length }
}

/// The fractional step at which `sample(step)`, stepping by one pixel from 0 up to
/// `limit`, first passes halfway from `from` to `to`: on a blurred edge, the edge itself.
fn halfway(sample: impl Fn(f32) -> Colour, from: Colour, to: Colour, limit: f32) -> Option<f32> {
    let mut previous = share_towards(sample(0.0), from, to);
    let mut step = 1.0;
    while step < limit {
        let share = share_towards(sample(step), from, to);
        if share >= 0.5 {
            let fraction = if share > previous { (0.5 - previous) / (share - previous) } else { 1.0 };
            return Some(step - 1.0 + fraction.clamp(0.0, 1.0));
        }
        previous = share;
        step += 1.0;
    }
    None
}

fn dot(a: Colour, b: Colour) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn distance(a: Colour, b: Colour) -> f32 {
    let d: Colour = std::array::from_fn(|c| a[c] - b[c]);
    dot(d, d).sqrt()
}

fn luminance(c: Colour) -> f32 {
    0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
}

fn mean(pixels: &[Colour]) -> Colour {
    let n = pixels.len().max(1) as f32;
    std::array::from_fn(|c| pixels.iter().map(|p| p[c]).sum::<f32>() / n)
}

/// Per-channel median: ignores minority features (eyes, lines) inside a region.
fn median(pixels: &[Colour]) -> Colour {
    std::array::from_fn(|c| {
        let mut channel: Vec<f32> = pixels.iter().map(|p| p[c]).collect();
        channel.sort_by(f32::total_cmp);
        channel.get(channel.len() / 2).copied().unwrap_or(0.0)
    })
}
