//! Drawing of cartoon faces whose pixels follow the world's attributes ([`super::ATTRIBUTES`]).
//!
//! Geometry is given in *face units*: crop pixels of a face at nominal size, measured from
//! the face centre (x to the right, y downwards). Each drawn face is this layout shifted by
//! a few pixels and scaled by a few percent; the oracle measures both back, so it shares
//! the constants marked `pub(crate)`. Crop pixels are those of [`super::CROP_BOX`], the box the
//! data pipeline takes, so a face sits where AttGAN's crop of a CelebA image puts one.
//!
//! Every cue is a region of several face units in each direction with a strong colour or
//! luminance contrast, so that it survives a downscale of the 170-pixel crop to 32 pixels.

use image::{Rgb, RgbImage};
use rand::Rng;

use super::world::{
    BALD, BANGS, BLACK_HAIR, BLOND_HAIR, BROWN_HAIR, BUSHY_EYEBROWS, CROP_BOX, EYEGLASSES, IMAGE_HEIGHT, IMAGE_WIDTH,
    MALE, MOUTH_SLIGHTLY_OPEN, MUSTACHE, N_ATTRIBUTES, NO_BEARD, PALE_SKIN, YOUNG,
};

/// An RGB colour with channels in 0..=255, kept as floats for blending.
pub(crate) type Colour = [f32; 3];

// ---- Placement ----------------------------------------------------------------------

/// Nominal face centre in crop pixels: centred across, a little high so the hair fits.
pub(crate) const FACE_CENTRE: (f32, f32) = (85.0, 86.0);
/// Largest shift of the face centre from nominal along each axis, in crop pixels.
const MAX_SHIFT: f32 = 4.0;
/// Largest relative change of the face size from nominal.
const MAX_SCALE_CHANGE: f32 = 0.05;

// ---- Head ---------------------------------------------------------------------------

/// Half-width of the face (64% of the crop width in all) and half-height, skull to chin.
pub(crate) const FACE_HALF_WIDTH: f32 = 54.0;
pub(crate) const FACE_HALF_HEIGHT: f32 = 66.0;
/// Exponent of the lower face outline: the female chin is an ellipse, the male jaw a
/// squarer superellipse that fills the jaw corners.
const FEMALE_JAW_EXPONENT: i32 = 2;
const MALE_JAW_EXPONENT: i32 = 4;

// ---- Hair ---------------------------------------------------------------------------

/// The hair mass is an ellipse behind the head, cut off at a random level on the sides.
const HAIR_CENTRE_Y: f32 = -10.0;
const HAIR_HALF_WIDTH: f32 = 70.0;
const HAIR_HALF_HEIGHT: f32 = 68.0;
/// Largest random change of both hair half-axes.
const MAX_HAIR_VOLUME_CHANGE: f32 = 3.0;
/// Range of the lowest level the side hair reaches.
const HAIR_BOTTOM_RANGE: (f32, f32) = (0.0, 24.0);
/// A bald head keeps hair only below this level, on the sides, so its colour still reads.
const BALD_FRINGE_TOP: f32 = -34.0;
/// The hairline over the forehead lies at this level in the middle and drops by
/// `HAIRLINE_DROP` towards the sides of the face.
const HAIRLINE_Y: f32 = -50.0;
const HAIRLINE_DROP: f32 = 22.0;
/// Bangs cover the forehead down to this level, just above the eyebrows, with a small
/// random wave along their edge.
const BANGS_BOTTOM: f32 = -32.0;
const BANGS_WAVE_AMPLITUDE: f32 = 1.5;
const BANGS_WAVE_FREQUENCY: f32 = 0.35;
/// Relative strength of the strand texture in hair.
const HAIR_TEXTURE: f32 = 0.08;
/// Strands are this many pixels long (texture noise is constant along them).
const STRAND_LENGTH: u32 = 4;

// ---- Age ----------------------------------------------------------------------------

/// Horizontal forehead wrinkles of an old face (bangs hide them).
const FOREHEAD_WRINKLE_YS: [f32; 2] = [-48.0, -43.0];
const FOREHEAD_WRINKLE_HALF_LENGTH: f32 = 18.0;
const FOREHEAD_WRINKLE_THICKNESS: f32 = 2.0;
/// Nasolabial folds of an old face: a line on each cheek from beside the nose to beside
/// the mouth, clear of the mustache, the mouth and the beard.
const FOLD_TOP: (f32, f32) = (20.0, 8.0);
const FOLD_BOTTOM: (f32, f32) = (27.0, 31.0);
const FOLD_THICKNESS: f32 = 4.0;
/// Wrinkles and nostrils are the skin colour darkened by this factor.
const CREASE_SHADE: f32 = 0.45;

// ---- Eyes and eyebrows ----------------------------------------------------------------

/// Centre of the right-hand eye (the other is mirrored).
const EYE_CENTRE: (f32, f32) = (21.0, -4.0);
const EYE_HALF_SIZE: (f32, f32) = (8.5, 4.5);
const IRIS_RADIUS: f32 = 3.6;
const PUPIL_RADIUS: f32 = 1.6;
/// Largest sideways offset of the irises (gaze).
const MAX_GAZE: f32 = 1.5;
/// An eyebrow runs from its inner to its outer end with its lower edge at `BROW_BASE_Y`,
/// arched up by `BROW_ARCH` in the middle; bushy brows grow upwards.
const BROW_INNER_X: f32 = 10.0;
const BROW_OUTER_X: f32 = 34.0;
const BROW_BASE_Y: f32 = -17.0;
const BROW_ARCH: f32 = 3.0;
const THIN_BROW_THICKNESS: f32 = 3.0;
const BUSHY_BROW_THICKNESS: f32 = 10.0;
/// Straight pieces used to draw the arch of an eyebrow.
const BROW_PIECES: usize = 6;

// ---- Eyeglasses -----------------------------------------------------------------------

/// A rounded rectangular rim around each eye, its outer edge at this half-size.
const RIM_HALF_SIZE: (f32, f32) = (14.0, 8.5);
const RIM_CORNER_RADIUS: f32 = 4.0;
const RIM_THICKNESS: f32 = 3.5;
/// The bridge joins the rims over the nose; the arms run from the rims to the face edge.
const BRIDGE_HALF_LENGTH: f32 = 7.0;
const GLASSES_BAR_Y: f32 = -6.0;
const GLASSES_BAR_THICKNESS: f32 = 3.2;

// ---- Nose, mouth and facial hair -------------------------------------------------------

const NOSTRIL_CENTRE: (f32, f32) = (5.0, 11.0);
const NOSTRIL_RADIUS: f32 = 2.2;
/// Mustache: a rounded band between nose and mouth.
const MUSTACHE_CENTRE_Y: f32 = 19.5;
const MUSTACHE_HALF_SIZE: (f32, f32) = (15.0, 4.5);
const MUSTACHE_CORNER_RADIUS: f32 = 3.0;
const MOUTH_CENTRE_Y: f32 = 33.0;
/// An open mouth is a dark ellipse with a band of upper teeth.
const OPEN_MOUTH_HALF_SIZE: (f32, f32) = (13.0, 8.0);
const TEETH_HEIGHT: f32 = 3.5;
/// A closed mouth is a thin line of lips.
const CLOSED_MOUTH_HALF_LENGTH: f32 = 14.0;
const CLOSED_MOUTH_THICKNESS: f32 = 3.0;
/// The beard covers the face below `BEARD_TOP_Y`, and the jaw sides beyond
/// `BEARD_SIDE_X` below `BEARD_SIDE_TOP_Y`, leaving the mouth and cheeks clear.
const BEARD_TOP_Y: f32 = 44.0;
const BEARD_SIDE_X: f32 = 32.0;
const BEARD_SIDE_TOP_Y: f32 = 22.0;
/// Relative strength of the stubble texture.
const STUBBLE_TEXTURE: f32 = 0.25;

// ---- Colours ------------------------------------------------------------------------

/// The hair colours: the three attributes, and grey or red when none of them is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HairColour {
    Black,
    Blond,
    Brown,
    Grey,
    Red,
}

impl HairColour {
    pub(crate) const ALL: [HairColour; 5] =
        [HairColour::Black, HairColour::Blond, HairColour::Brown, HairColour::Grey, HairColour::Red];

    /// Typical colour; drawn hair varies around it by `HAIR_JITTER` and `HAIR_BRIGHTNESS`.
    pub(crate) fn prototype(self) -> Colour {
        match self {
            HairColour::Black => [30.0, 25.0, 20.0],
            HairColour::Blond => [235.0, 205.0, 70.0],
            HairColour::Brown => [120.0, 75.0, 40.0],
            HairColour::Grey => [150.0, 150.0, 155.0],
            HairColour::Red => [195.0, 70.0, 35.0],
        }
    }
}

const HAIR_JITTER: f32 = 10.0;
const HAIR_BRIGHTNESS: f32 = 0.06;
/// Normal skin tones lie between these two; pale skin is clearly lighter than both.
const LIGHT_SKIN: Colour = [222.0, 176.0, 145.0];
const DARK_SKIN: Colour = [168.0, 118.0, 88.0];
const PALE_SKIN_TONE: Colour = [246.0, 230.0, 220.0];
const SKIN_JITTER: f32 = 4.0;
const BROW_COLOUR: Colour = [50.0, 38.0, 30.0];
const BROW_JITTER: f32 = 8.0;
/// Beards are dark whatever the hair colour, tinted by it.
const BEARD_BASE: Colour = [35.0, 28.0, 24.0];
const HAIR_IN_BEARD: f32 = 0.2;
const LIPS: Colour = [178.0, 82.0, 82.0];
const LIPS_JITTER: f32 = 10.0;
const MOUTH_INSIDE: Colour = [70.0, 25.0, 30.0];
const TEETH: Colour = [238.0, 234.0, 224.0];
const SCLERA: Colour = [242.0, 240.0, 235.0];
const IRISES: [Colour; 3] = [[80.0, 52.0, 30.0], [55.0, 90.0, 135.0], [60.0, 95.0, 60.0]];
const PUPIL: Colour = [15.0, 12.0, 12.0];
const FRAME: Colour = [30.0, 30.0, 35.0];
const FRAME_JITTER: f32 = 15.0;
/// Backgrounds are saturated hues from yellow-green through blue to purple, away from the
/// hues of skin and hair, and never very dark (black hair) or unsaturated (grey hair).
const BACKGROUND_HUE_RANGE: (f32, f32) = (80.0, 300.0);
const BACKGROUND_SATURATION_RANGE: (f32, f32) = (0.35, 0.75);
const BACKGROUND_VALUE_RANGE: (f32, f32) = (0.45, 0.9);
/// Largest relative brightness change from top to bottom of the background.
const MAX_BACKGROUND_GRADIENT: f32 = 0.08;
/// Largest relative brightness change from the middle to a side of the image (lighting).
const MAX_LIGHT_GRADIENT: f32 = 0.05;
/// Amplitude of the uniform per-pixel noise, in grey levels.
const PIXEL_NOISE: f32 = 5.0;

/// Salts that give each kind of texture noise its own stream.
const HAIR_SALT: u64 = 0x6861_6972;
const BEARD_SALT: u64 = 0x6265_6172;
const PIXEL_SALT: u64 = 0x7069_7865;

// ---- Attributes -----------------------------------------------------------------------

/// Share of women drawn with a beard (CelebA's annotations have a few too).
pub const FEMALE_BEARD: f64 = 0.05;
/// Share of women without a beard drawn with a mustache (with a beard: half of them).
pub const FEMALE_MUSTACHE: f64 = 0.01;

/// Draws attributes with CelebA-like frequencies and consistency: at most one hair colour,
/// bald heads have no bangs; facial hair is mostly on men, but a few women have a beard or a
/// mustache ([`FEMALE_BEARD`], [`FEMALE_MUSTACHE`]).
///
/// The bearded women are there because AttGAN's conflict rules keep the facial hair when
/// `Male` is turned off: a generator that never saw a woman with a beard cannot draw the face
/// that edit asks for (before they were added, bearded men turned into women read as women 23
/// times in 90, clean-shaven men 93 in 93).
pub fn sample_attributes<R: Rng + ?Sized>(rng: &mut R) -> [bool; N_ATTRIBUTES] {
    let male = rng.random_bool(0.45);
    let young = rng.random_bool(0.7);
    let bald = rng.random_bool(if male { 0.16 } else { 0.015 });
    let bangs = !bald && rng.random_bool(if male { 0.11 } else { 0.3 });
    let hair = rng.random_range(0..4);
    let bushy = rng.random_bool(if male { 0.3 } else { 0.12 });
    let glasses = rng.random_bool(if young { 0.12 } else { 0.22 });
    let mouth_open = rng.random_bool(0.45);
    let beard = rng.random_bool(if male { 0.4 } else { FEMALE_BEARD });
    let mustache = rng.random_bool(match (male, beard) {
        (true, true) => 0.55,
        (true, false) => 0.18,
        (false, true) => 0.5,
        (false, false) => FEMALE_MUSTACHE,
    });
    let pale = rng.random_bool(0.1);

    let mut attrs = [false; N_ATTRIBUTES];
    attrs[BALD] = bald;
    attrs[BANGS] = bangs;
    attrs[BLACK_HAIR] = hair == 0;
    attrs[BLOND_HAIR] = hair == 1;
    attrs[BROWN_HAIR] = hair == 2;
    attrs[BUSHY_EYEBROWS] = bushy;
    attrs[EYEGLASSES] = glasses;
    attrs[MALE] = male;
    attrs[MOUTH_SLIGHTLY_OPEN] = mouth_open;
    attrs[MUSTACHE] = mustache;
    attrs[NO_BEARD] = !beard;
    attrs[PALE_SKIN] = pale;
    attrs[YOUNG] = young;
    attrs
}

/// Flips attribute `index` and repairs the consistency rules of [`sample_attributes`] by
/// changing the attributes that conflict with the new value: another hair colour, bangs
/// against baldness. Facial hair and `Male` are independent, as in AttGAN's conflict rules:
/// a man turned into a woman keeps his beard.
pub fn flip_attribute(attrs: &[bool; N_ATTRIBUTES], index: usize) -> [bool; N_ATTRIBUTES] {
    let mut flipped = *attrs;
    flipped[index] = !attrs[index];
    let set = flipped[index];
    match index {
        BLACK_HAIR | BLOND_HAIR | BROWN_HAIR if set => {
            for other in [BLACK_HAIR, BLOND_HAIR, BROWN_HAIR] {
                flipped[other] = other == index;
            }
        }
        BALD if set => flipped[BANGS] = false,
        BANGS if set => flipped[BALD] = false,
        _ => {}
    }
    flipped
}

// ---- Drawing --------------------------------------------------------------------------

/// A 178x218 RGB face following `attrs`, with random nuisance variation from `rng`.
///
/// The nuisance is drawn from `rng` before anything else and in a fixed order, so the same
/// seed gives the same face whatever the attributes: flipping one attribute changes only
/// its cue. Inconsistent vectors are drawn as well as they can be: the first hair colour
/// set wins, baldness wins over bangs, and facial hair is drawn on any face.
pub fn draw_face<R: Rng + ?Sized>(attrs: &[bool; N_ATTRIBUTES], rng: &mut R) -> RgbImage {
    let nuisance = Nuisance::sample(rng);
    Painter::new(attrs, &nuisance).draw()
}

/// Everything about a face that does not depend on its attributes.
struct Nuisance {
    /// Face centre in crop pixels.
    centre: (f32, f32),
    scale: f32,
    background: Colour,
    background_gradient: f32,
    light_gradient: f32,
    /// Position in the normal skin-tone range, 0 light to 1 dark.
    skin_tone: f32,
    skin_jitter: Colour,
    hair_jitter: Colour,
    hair_brightness: f32,
    /// The hair colour used when none of the three hair-colour attributes is set.
    other_hair: HairColour,
    hair_volume_change: f32,
    hair_bottom: f32,
    bangs_wave_phase: f32,
    brow_jitter: Colour,
    iris: Colour,
    gaze: f32,
    frame_jitter: Colour,
    lips_jitter: Colour,
    noise_seed: u64,
}

impl Nuisance {
    fn sample<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let shift_x = symmetric(rng, MAX_SHIFT);
        let shift_y = symmetric(rng, MAX_SHIFT);
        Nuisance {
            centre: (FACE_CENTRE.0 + shift_x, FACE_CENTRE.1 + shift_y),
            scale: 1.0 + symmetric(rng, MAX_SCALE_CHANGE),
            background: hsv_to_rgb(
                rng.random_range(BACKGROUND_HUE_RANGE.0..BACKGROUND_HUE_RANGE.1),
                rng.random_range(BACKGROUND_SATURATION_RANGE.0..BACKGROUND_SATURATION_RANGE.1),
                rng.random_range(BACKGROUND_VALUE_RANGE.0..BACKGROUND_VALUE_RANGE.1),
            ),
            background_gradient: symmetric(rng, MAX_BACKGROUND_GRADIENT),
            light_gradient: symmetric(rng, MAX_LIGHT_GRADIENT),
            skin_tone: rng.random(),
            skin_jitter: colour_jitter(rng, SKIN_JITTER),
            hair_jitter: colour_jitter(rng, HAIR_JITTER),
            hair_brightness: 1.0 + symmetric(rng, HAIR_BRIGHTNESS),
            other_hair: if rng.random_bool(0.5) { HairColour::Grey } else { HairColour::Red },
            hair_volume_change: symmetric(rng, MAX_HAIR_VOLUME_CHANGE),
            hair_bottom: rng.random_range(HAIR_BOTTOM_RANGE.0..HAIR_BOTTOM_RANGE.1),
            bangs_wave_phase: rng.random_range(0.0..std::f32::consts::TAU),
            brow_jitter: colour_jitter(rng, BROW_JITTER),
            iris: IRISES[rng.random_range(0..IRISES.len())],
            gaze: symmetric(rng, MAX_GAZE),
            frame_jitter: colour_jitter(rng, FRAME_JITTER),
            lips_jitter: colour_jitter(rng, LIPS_JITTER),
            noise_seed: rng.random(),
        }
    }
}

fn symmetric<R: Rng + ?Sized>(rng: &mut R, amplitude: f32) -> f32 {
    rng.random_range(-amplitude..=amplitude)
}

fn colour_jitter<R: Rng + ?Sized>(rng: &mut R, amplitude: f32) -> Colour {
    [symmetric(rng, amplitude), symmetric(rng, amplitude), symmetric(rng, amplitude)]
}

/// `hue` in degrees, `saturation` and `value` in 0..1.
fn hsv_to_rgb(hue: f32, saturation: f32, value: f32) -> Colour {
    let channel = |n: f32| {
        let k = (n + hue / 60.0) % 6.0;
        255.0 * value * (1.0 - saturation * k.min(4.0 - k).clamp(0.0, 1.0))
    };
    [channel(5.0), channel(3.0), channel(1.0)]
}

fn add(a: Colour, b: Colour) -> Colour {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

fn scaled(c: Colour, factor: f32) -> Colour {
    [c[0] * factor, c[1] * factor, c[2] * factor]
}

pub(crate) fn lerp(a: Colour, b: Colour, t: f32) -> Colour {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

/// Three uniform noise values in -1..1 from a seed and a position, so textures need no rng
/// calls.
fn hash_noise(seed: u64, x: u32, y: u32) -> [f32; 3] {
    let mut z = seed ^ (u64::from(x) << 32) ^ u64::from(y);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    // Three 21-bit fields of the hash.
    std::array::from_fn(|i| ((z >> (21 * i)) & 0x1F_FFFF) as f32 / (1u32 << 20) as f32 - 1.0)
}

// ---- Signed distances, in face units, negative inside --------------------------------

/// Euclidean length (no need for `hypot`'s overflow care at these magnitudes, and faster).
fn length(x: f32, y: f32) -> f32 {
    (x * x + y * y).sqrt()
}

/// Approximate distance to the superellipse |x/a|^n + |y/b|^n = 1 (first-order, exact
/// enough within the pixel of anti-aliasing; the sign is always right).
fn superellipse(x: f32, y: f32, a: f32, b: f32, n: i32) -> f32 {
    let (u, v) = (x.abs() / a, y.abs() / b);
    let f = u.powi(n) + v.powi(n) - 1.0;
    let slope = n as f32;
    let gradient = length(slope * u.powi(n - 1) / a, slope * v.powi(n - 1) / b);
    if gradient < 1e-6 { -a.min(b) } else { f / gradient }
}

fn ellipse(x: f32, y: f32, a: f32, b: f32) -> f32 {
    superellipse(x, y, a, b, 2)
}

/// Distance to a segment from `p` to `q`, thickened to `thickness`.
fn segment(x: f32, y: f32, p: (f32, f32), q: (f32, f32), thickness: f32) -> f32 {
    let (px, py) = (x - p.0, y - p.1);
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let h = ((px * dx + py * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
    length(px - dx * h, py - dy * h) - thickness / 2.0
}

/// Distance to a rectangle centred at the origin with rounded corners.
fn rounded_box(x: f32, y: f32, half: (f32, f32), radius: f32) -> f32 {
    let qx = x.abs() - half.0 + radius;
    let qy = y.abs() - half.1 + radius;
    length(qx.max(0.0), qy.max(0.0)) + qx.max(qy).min(0.0) - radius
}

fn face_outline(x: f32, y: f32, male: bool) -> f32 {
    let exponent = if male && y > 0.0 { MALE_JAW_EXPONENT } else { FEMALE_JAW_EXPONENT };
    superellipse(x, y, FACE_HALF_WIDTH, FACE_HALF_HEIGHT, exponent)
}

/// An axis-aligned box in face units: x0, y0, x1, y1.
type Bounds = [f32; 4];

/// Bounds of the whole head, hair included.
const HEAD_BOUNDS: Bounds = [
    -(HAIR_HALF_WIDTH + MAX_HAIR_VOLUME_CHANGE),
    HAIR_CENTRE_Y - HAIR_HALF_HEIGHT - MAX_HAIR_VOLUME_CHANGE,
    HAIR_HALF_WIDTH + MAX_HAIR_VOLUME_CHANGE,
    FACE_HALF_HEIGHT,
];
const FACE_BOUNDS: Bounds = [-FACE_HALF_WIDTH, -FACE_HALF_HEIGHT, FACE_HALF_WIDTH, FACE_HALF_HEIGHT];

/// A float RGB image of the whole 178x218 picture, painted shape by shape.
struct Canvas {
    pixels: Vec<Colour>,
    /// Face centre in image pixels.
    centre: (f32, f32),
    scale: f32,
}

impl Canvas {
    /// Paints `colour` (a function of the image pixel) where `distance` (a function of the
    /// face-unit position) is negative, anti-aliased over one pixel, inside `bounds`.
    fn paint(&mut self, bounds: Bounds, distance: impl Fn(f32, f32) -> f32, colour: impl Fn(u32, u32) -> Colour) {
        let (cx, cy, s) = (self.centre.0, self.centre.1, self.scale);
        let clamp_x = |v: f32| v.clamp(0.0, IMAGE_WIDTH as f32) as u32;
        let clamp_y = |v: f32| v.clamp(0.0, IMAGE_HEIGHT as f32) as u32;
        let (x0, x1) = (clamp_x(cx + bounds[0] * s - 2.0), clamp_x(cx + bounds[2] * s + 2.0));
        let (y0, y1) = (clamp_y(cy + bounds[1] * s - 2.0), clamp_y(cy + bounds[3] * s + 2.0));
        for py in y0..y1 {
            for px in x0..x1 {
                let x = (px as f32 + 0.5 - cx) / s;
                let y = (py as f32 + 0.5 - cy) / s;
                let coverage = (0.5 - distance(x, y) * s).clamp(0.0, 1.0);
                if coverage > 0.0 {
                    let pixel = &mut self.pixels[(py * IMAGE_WIDTH + px) as usize];
                    *pixel = lerp(*pixel, colour(px, py), coverage);
                }
            }
        }
    }

    fn fill(&mut self, bounds: Bounds, distance: impl Fn(f32, f32) -> f32, colour: Colour) {
        self.paint(bounds, distance, |_, _| colour);
    }
}

/// Draws one face: the attributes resolved into shapes and colours.
struct Painter<'a> {
    nuisance: &'a Nuisance,
    bald: bool,
    bangs: bool,
    male: bool,
    young: bool,
    bushy: bool,
    glasses: bool,
    mouth_open: bool,
    mustache: bool,
    beard: bool,
    skin: Colour,
    hair: Colour,
    canvas: Canvas,
}

impl<'a> Painter<'a> {
    fn new(attrs: &[bool; N_ATTRIBUTES], nuisance: &'a Nuisance) -> Self {
        let hair_colour = if attrs[BLACK_HAIR] {
            HairColour::Black
        } else if attrs[BLOND_HAIR] {
            HairColour::Blond
        } else if attrs[BROWN_HAIR] {
            HairColour::Brown
        } else {
            nuisance.other_hair
        };
        let hair = scaled(add(hair_colour.prototype(), nuisance.hair_jitter), nuisance.hair_brightness);
        let skin_base = if attrs[PALE_SKIN] { PALE_SKIN_TONE } else { lerp(LIGHT_SKIN, DARK_SKIN, nuisance.skin_tone) };
        let canvas = Canvas {
            pixels: vec![[0.0; 3]; (IMAGE_WIDTH * IMAGE_HEIGHT) as usize],
            centre: (CROP_BOX.left as f32 + nuisance.centre.0, CROP_BOX.top as f32 + nuisance.centre.1),
            scale: nuisance.scale,
        };
        Painter {
            nuisance,
            bald: attrs[BALD],
            bangs: attrs[BANGS] && !attrs[BALD],
            male: attrs[MALE],
            young: attrs[YOUNG],
            bushy: attrs[BUSHY_EYEBROWS],
            glasses: attrs[EYEGLASSES],
            mouth_open: attrs[MOUTH_SLIGHTLY_OPEN],
            mustache: attrs[MUSTACHE],
            beard: !attrs[NO_BEARD],
            skin: add(skin_base, nuisance.skin_jitter),
            hair,
            canvas,
        }
    }

    fn draw(mut self) -> RgbImage {
        self.background();
        self.hair_mass();
        let male = self.male;
        let skin = self.skin;
        self.canvas.fill(FACE_BOUNDS, |x, y| face_outline(x, y, male), skin);
        if self.beard {
            self.beard();
        }
        if !self.young {
            self.forehead_wrinkles();
        }
        if !self.bald {
            self.hair_cap();
        }
        if !self.young {
            self.folds();
        }
        self.nose();
        self.eyes();
        self.eyebrows();
        if self.glasses {
            self.glasses();
        }
        if self.mustache {
            self.mustache();
        }
        self.mouth();
        self.finish()
    }

    fn background(&mut self) {
        let n = self.nuisance;
        for py in 0..IMAGE_HEIGHT {
            let shade = 1.0 + n.background_gradient * (py as f32 / IMAGE_HEIGHT as f32 - 0.5);
            let colour = scaled(n.background, shade);
            let row = (py * IMAGE_WIDTH) as usize;
            self.canvas.pixels[row..row + IMAGE_WIDTH as usize].fill(colour);
        }
    }

    /// The hair colour with a strand texture, as a function of the image pixel.
    fn hair_colour(&self) -> impl Fn(u32, u32) -> Colour + use<> {
        let (hair, seed) = (self.hair, self.nuisance.noise_seed ^ HAIR_SALT);
        move |px, py| scaled(hair, 1.0 + HAIR_TEXTURE * hash_noise(seed, px, py / STRAND_LENGTH)[0])
    }

    fn hair_mass(&mut self) {
        let n = self.nuisance;
        let (half_width, half_height) =
            (HAIR_HALF_WIDTH + n.hair_volume_change, HAIR_HALF_HEIGHT + n.hair_volume_change);
        let (bottom, bald) = (n.hair_bottom, self.bald);
        let colour = self.hair_colour();
        self.canvas.paint(
            HEAD_BOUNDS,
            |x, y| {
                let mass = ellipse(x, y - HAIR_CENTRE_Y, half_width, half_height).max(y - bottom);
                if bald { mass.max(BALD_FRINGE_TOP - y) } else { mass }
            },
            colour,
        );
    }

    /// Hair over the top of the face, down to the hairline or, with bangs, to the brows.
    fn hair_cap(&mut self) {
        let (male, bangs, phase) = (self.male, self.bangs, self.nuisance.bangs_wave_phase);
        let edge = move |x: f32| {
            if bangs {
                BANGS_BOTTOM + BANGS_WAVE_AMPLITUDE * (x * BANGS_WAVE_FREQUENCY + phase).sin()
            } else {
                HAIRLINE_Y + HAIRLINE_DROP * (x / FACE_HALF_WIDTH).powi(2)
            }
        };
        let colour = self.hair_colour();
        // Reaching one unit past the face outline hides its anti-aliased rim.
        self.canvas.paint(FACE_BOUNDS, |x, y| (face_outline(x, y, male) - 1.0).max(y - edge(x)), colour);
    }

    fn beard(&mut self) {
        let male = self.male;
        let base = lerp(BEARD_BASE, self.hair, HAIR_IN_BEARD);
        let seed = self.nuisance.noise_seed ^ BEARD_SALT;
        self.canvas.paint(
            FACE_BOUNDS,
            |x, y| {
                let sides = (BEARD_SIDE_X - x.abs()).max(BEARD_SIDE_TOP_Y - y);
                face_outline(x, y, male).max((BEARD_TOP_Y - y).min(sides))
            },
            |px, py| scaled(base, 1.0 + STUBBLE_TEXTURE * hash_noise(seed, px, py)[0]),
        );
    }

    fn crease(&self) -> Colour {
        scaled(self.skin, CREASE_SHADE)
    }

    fn forehead_wrinkles(&mut self) {
        let crease = self.crease();
        for y0 in FOREHEAD_WRINKLE_YS {
            let (p, q) = ((-FOREHEAD_WRINKLE_HALF_LENGTH, y0), (FOREHEAD_WRINKLE_HALF_LENGTH, y0));
            self.canvas.fill(
                [p.0, y0 - FOREHEAD_WRINKLE_THICKNESS, q.0, y0 + FOREHEAD_WRINKLE_THICKNESS],
                |x, y| segment(x, y, p, q, FOREHEAD_WRINKLE_THICKNESS),
                crease,
            );
        }
    }

    fn folds(&mut self) {
        let crease = self.crease();
        self.canvas.fill(
            [
                -FOLD_BOTTOM.0 - FOLD_THICKNESS,
                FOLD_TOP.1 - FOLD_THICKNESS,
                FOLD_BOTTOM.0 + FOLD_THICKNESS,
                FOLD_BOTTOM.1 + FOLD_THICKNESS,
            ],
            |x, y| segment(x.abs(), y, FOLD_TOP, FOLD_BOTTOM, FOLD_THICKNESS),
            crease,
        );
    }

    fn nose(&mut self) {
        let crease = self.crease();
        let (nx, ny) = NOSTRIL_CENTRE;
        self.canvas.fill(
            [-nx - NOSTRIL_RADIUS, ny - NOSTRIL_RADIUS, nx + NOSTRIL_RADIUS, ny + NOSTRIL_RADIUS],
            |x, y| length(x.abs() - nx, y - ny) - NOSTRIL_RADIUS,
            crease,
        );
    }

    fn eyes(&mut self) {
        let (ex, ey) = EYE_CENTRE;
        let (hw, hh) = EYE_HALF_SIZE;
        let bounds = [-ex - hw, ey - hh, ex + hw, ey + hh];
        self.canvas.fill(bounds, |x, y| ellipse(x.abs() - ex, y - ey, hw, hh), SCLERA);
        let gaze = self.nuisance.gaze;
        // Irises are clipped by the eye outline.
        let disc = move |radius: f32| {
            move |x: f32, y: f32| {
                let dx = x - ex.copysign(x) - gaze;
                (length(dx, y - ey) - radius).max(ellipse(x.abs() - ex, y - ey, hw, hh))
            }
        };
        self.canvas.fill(bounds, disc(IRIS_RADIUS), self.nuisance.iris);
        self.canvas.fill(bounds, disc(PUPIL_RADIUS), PUPIL);
    }

    fn eyebrows(&mut self) {
        let thickness = if self.bushy { BUSHY_BROW_THICKNESS } else { THIN_BROW_THICKNESS };
        let centre_y = BROW_BASE_Y - thickness / 2.0;
        let point = |i: usize| {
            let t = i as f32 / BROW_PIECES as f32;
            let arch = 4.0 * t * (1.0 - t) * BROW_ARCH;
            (BROW_INNER_X + (BROW_OUTER_X - BROW_INNER_X) * t, centre_y - arch)
        };
        let colour = add(BROW_COLOUR, self.nuisance.brow_jitter);
        let top = centre_y - BROW_ARCH - thickness / 2.0;
        self.canvas.fill(
            [-BROW_OUTER_X - thickness, top, BROW_OUTER_X + thickness, BROW_BASE_Y],
            |x, y| {
                (0..BROW_PIECES)
                    .map(|i| segment(x.abs(), y, point(i), point(i + 1), thickness))
                    .fold(f32::INFINITY, f32::min)
            },
            colour,
        );
    }

    fn glasses(&mut self) {
        let colour = add(FRAME, self.nuisance.frame_jitter);
        let (ex, ey) = EYE_CENTRE;
        let (hw, hh) = RIM_HALF_SIZE;
        self.canvas.fill(
            [-ex - hw, ey - hh, ex + hw, ey + hh],
            |x, y| {
                let outer = rounded_box(x.abs() - ex, y - ey, RIM_HALF_SIZE, RIM_CORNER_RADIUS);
                outer.max(-(outer + RIM_THICKNESS))
            },
            colour,
        );
        let arm_end = FACE_HALF_WIDTH * (1.0 - (GLASSES_BAR_Y / FACE_HALF_HEIGHT).powi(2)).sqrt();
        let bar_top = GLASSES_BAR_Y - GLASSES_BAR_THICKNESS;
        let bar_bottom = GLASSES_BAR_Y + GLASSES_BAR_THICKNESS;
        let bridge = ((-BRIDGE_HALF_LENGTH, GLASSES_BAR_Y), (BRIDGE_HALF_LENGTH, GLASSES_BAR_Y));
        self.canvas.fill(
            [-BRIDGE_HALF_LENGTH, bar_top, BRIDGE_HALF_LENGTH, bar_bottom],
            |x, y| segment(x, y, bridge.0, bridge.1, GLASSES_BAR_THICKNESS),
            colour,
        );
        let arm = ((ex + hw, GLASSES_BAR_Y), (arm_end, GLASSES_BAR_Y));
        self.canvas.fill(
            [-arm_end, bar_top, arm_end, bar_bottom],
            |x, y| segment(x.abs(), y, arm.0, arm.1, GLASSES_BAR_THICKNESS),
            colour,
        );
    }

    fn mustache(&mut self) {
        let colour = lerp(BEARD_BASE, self.hair, HAIR_IN_BEARD);
        let (hw, hh) = MUSTACHE_HALF_SIZE;
        self.canvas.fill(
            [-hw, MUSTACHE_CENTRE_Y - hh, hw, MUSTACHE_CENTRE_Y + hh],
            |x, y| rounded_box(x, y - MUSTACHE_CENTRE_Y, MUSTACHE_HALF_SIZE, MUSTACHE_CORNER_RADIUS),
            colour,
        );
    }

    fn mouth(&mut self) {
        if self.mouth_open {
            let (hw, hh) = OPEN_MOUTH_HALF_SIZE;
            let bounds = [-hw, MOUTH_CENTRE_Y - hh, hw, MOUTH_CENTRE_Y + hh];
            let opening = |x: f32, y: f32| ellipse(x, y - MOUTH_CENTRE_Y, hw, hh);
            self.canvas.fill(bounds, opening, MOUTH_INSIDE);
            let teeth_bottom = MOUTH_CENTRE_Y - hh + TEETH_HEIGHT;
            self.canvas.fill(bounds, |x, y| opening(x, y).max(y - teeth_bottom), TEETH);
        } else {
            let half = CLOSED_MOUTH_HALF_LENGTH;
            let lips = add(LIPS, self.nuisance.lips_jitter);
            self.canvas.fill(
                [
                    -half - CLOSED_MOUTH_THICKNESS,
                    MOUTH_CENTRE_Y - CLOSED_MOUTH_THICKNESS,
                    half + CLOSED_MOUTH_THICKNESS,
                    MOUTH_CENTRE_Y + CLOSED_MOUTH_THICKNESS,
                ],
                |x, y| segment(x, y, (-half, MOUTH_CENTRE_Y), (half, MOUTH_CENTRE_Y), CLOSED_MOUTH_THICKNESS),
                lips,
            );
        }
    }

    /// Applies the sideways lighting and the pixel noise, and quantises.
    fn finish(self) -> RgbImage {
        let n = self.nuisance;
        let seed = n.noise_seed ^ PIXEL_SALT;
        let half_width = IMAGE_WIDTH as f32 / 2.0;
        RgbImage::from_fn(IMAGE_WIDTH, IMAGE_HEIGHT, |px, py| {
            let colour = self.canvas.pixels[(py * IMAGE_WIDTH + px) as usize];
            let light = 1.0 + n.light_gradient * (px as f32 + 0.5 - half_width) / half_width;
            let noise = hash_noise(seed, px, py);
            Rgb(std::array::from_fn(|c| {
                // Adding one half before truncating rounds the clamped, positive value.
                ((colour[c] * light + PIXEL_NOISE * noise[c]).clamp(0.0, 255.0) + 0.5) as u8
            }))
        })
    }
}
