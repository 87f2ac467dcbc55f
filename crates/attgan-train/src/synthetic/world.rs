//! The world's one definition: the attributes it draws and reads, the size of its images and
//! the crop they are drawn for. Everything else in the world is derived from these.

use attgan_core::attributes::DEFAULT_ATTRIBUTES;
use attgan_core::image::{Crop, Region};

/// The attributes the world draws and the oracle reads, in the order of every attribute vector
/// of the world: AttGAN's default attributes ([`DEFAULT_ATTRIBUTES`]), each a CelebA column. The
/// drawer and the oracle have a cue for each of these names: the index constants below look the
/// names up when compiling, so a change of the defaults that drops one fails to build here.
pub const ATTRIBUTES: &[&str] = &DEFAULT_ATTRIBUTES;

/// Number of attributes: the length of every attribute vector (`[bool; N_ATTRIBUTES]`).
pub const N_ATTRIBUTES: usize = ATTRIBUTES.len();

/// Index of each attribute in [`ATTRIBUTES`], found there when compiling (a name that is not in
/// the list does not compile).
pub const BALD: usize = index_of("Bald");
pub const BANGS: usize = index_of("Bangs");
pub const BLACK_HAIR: usize = index_of("Black_Hair");
pub const BLOND_HAIR: usize = index_of("Blond_Hair");
pub const BROWN_HAIR: usize = index_of("Brown_Hair");
pub const BUSHY_EYEBROWS: usize = index_of("Bushy_Eyebrows");
pub const EYEGLASSES: usize = index_of("Eyeglasses");
pub const MALE: usize = index_of("Male");
pub const MOUTH_SLIGHTLY_OPEN: usize = index_of("Mouth_Slightly_Open");
pub const MUSTACHE: usize = index_of("Mustache");
pub const NO_BEARD: usize = index_of("No_Beard");
pub const PALE_SKIN: usize = index_of("Pale_Skin");
pub const YOUNG: usize = index_of("Young");

/// Width of a drawn image: CelebA's aligned width, so that [`CROP`] takes the same box as it
/// does from CelebA.
pub const IMAGE_WIDTH: u32 = Crop::CELEBA_IMAGE_WIDTH;
/// Height of a drawn image: CelebA's aligned height.
pub const IMAGE_HEIGHT: u32 = Crop::CELEBA_IMAGE_HEIGHT;

/// The crop the faces are drawn for: AttGAN's CelebA box, as the data pipeline takes it from
/// CelebA (the default crop of `Variant::Celeba`).
pub const CROP: Crop = Crop::Celeba;
/// The pixels [`CROP`] takes from a drawn image (`CROP.region(IMAGE_WIDTH, IMAGE_HEIGHT)`, which
/// for CelebA's size is [`Crop::CELEBA_BOX`]): the drawer's and the oracle's frame.
pub const CROP_BOX: Region = Crop::CELEBA_BOX;

/// Position of `name` in [`ATTRIBUTES`]; a compile error in a constant when it is not there.
const fn index_of(name: &str) -> usize {
    let mut i = 0;
    while i < ATTRIBUTES.len() {
        if bytes_equal(ATTRIBUTES[i].as_bytes(), name.as_bytes()) {
            return i;
        }
        i += 1;
    }
    panic!("not an attribute of the synthetic world");
}

/// `a == b` for byte strings, which `const fn` cannot compare with `==` yet.
const fn bytes_equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
