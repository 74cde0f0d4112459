/* Prints the layout of png_image and the constants Derain's interop declares, from the installed headers.
   NativeLayoutTests compiles and runs this and compares every line with the C# declarations. */
#include <stddef.h>
#include <stdio.h>
#include <png.h>
#include <turbojpeg.h>

#define FIELD(f) printf("png_image.%s %zu %zu\n", #f, offsetof(png_image, f), sizeof(((png_image *)0)->f))
#define CONST(c) printf("%s %ld\n", #c, (long)(c))

int main(void)
{
    printf("png_image %zu %zu\n", sizeof(png_image), _Alignof(png_image));
    FIELD(opaque);
    FIELD(version);
    FIELD(width);
    FIELD(height);
    FIELD(format);
    FIELD(flags);
    FIELD(colormap_entries);
    FIELD(warning_or_error);
    FIELD(message);
    printf("png_alloc_size_t %zu\n", sizeof(png_alloc_size_t));
    printf("png_int_32 %zu\n", sizeof(png_int_32));
    printf("unsigned_long %zu\n", sizeof(unsigned long));
    CONST(PNG_IMAGE_VERSION);
    CONST(PNG_FORMAT_FLAG_ALPHA);
    CONST(PNG_FORMAT_FLAG_COLOR);
    CONST(PNG_FORMAT_FLAG_LINEAR);
    CONST(PNG_FORMAT_FLAG_COLORMAP);
    CONST(PNG_IMAGE_WARNING);
    CONST(PNG_IMAGE_ERROR);
    CONST(TJPF_RGB);
    CONST(TJPF_GRAY);
    CONST(TJSAMP_444);
    CONST(TJSAMP_422);
    CONST(TJSAMP_420);
    CONST(TJSAMP_GRAY);
    CONST(TJCS_GRAY);
    CONST(TJCS_CMYK);
    CONST(TJCS_YCCK);
    CONST(TJERR_WARNING);
    CONST(TJFLAG_ACCURATEDCT);
    return 0;
}
