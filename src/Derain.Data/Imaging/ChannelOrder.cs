namespace Derain.Data.Imaging;

/// <summary>
/// The order of colour channels in a tensor. Derain's images are always RGB; BGR is for networks trained on
/// OpenCV-loaded data (cv2.imread returns BGR), such as checkpoints from BasicSR-based code.
/// </summary>
public enum ChannelOrder
{
    Rgb,
    Bgr,
}
