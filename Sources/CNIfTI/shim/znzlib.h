// Debian installs nifticlib's headers under /usr/include/nifti, and nifti2_io.h includes
// <znzlib.h> by its bare name: this forwarding header (on the target's headerSearchPath, a
// path inside the package) resolves it without an -I/usr/include/nifti unsafe flag.
#include <nifti/znzlib.h>
