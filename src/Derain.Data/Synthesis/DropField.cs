using Derain.Tensors;

namespace Derain.Data.Synthesis;

/// <summary>
/// The drops on the glass and how they evolve from frame to frame: drops persist; those large enough for
/// gravity to beat contact-line pinning slide down in stick–slip steps and shed small droplets; drops that touch
/// coalesce, conserving volume; new drops land; drops that leave the frame are gone.
/// </summary>
internal sealed class DropField
{
    // Drops merge when their centres come closer than this fraction of the sum of their radii (outlines touch).
    private const double MergeReach = 0.85;
    private const double StopChance = 0.08, StartChance = 0.35, ShedChance = 0.06, ShedFraction = 0.4;

    private readonly List<Raindrop> _drops = [];
    private readonly int _width, _height;
    private readonly double _target, _spawn, _radiusMin, _radiusMax, _slideRadius, _slideSpeed;
    private readonly double _contactMin, _contactMax;
    private int _nextId;

    public DropField(RainOptions options, int width, int height)
    {
        _width = width;
        _height = height;
        double scale = RainOptions.ScaleFor(height);
        // Counts are given for a 16:9 frame; a wider or narrower frame of the same height holds proportionally more or fewer.
        double area = width / (height * 16.0 / 9.0);
        _target = options.DropCount * area;
        _spawn = options.DropSpawn * area;
        // Every drop at least as large as the defocus disc, so the blurred drop still reaches the mask threshold.
        _radiusMin = Math.Max(options.DropRadiusMin, options.DropBlur) * scale;
        _radiusMax = Math.Max(options.DropRadiusMax * scale, _radiusMin);
        _slideRadius = options.DropSlideRadius * scale;
        _slideSpeed = options.DropSlideSpeed * scale;
        _contactMin = options.DropContactMin * Math.PI / 180;
        _contactMax = options.DropContactMax * Math.PI / 180;
    }

    public IReadOnlyList<Raindrop> Drops => _drops;

    /// <summary>Wets the glass with the target number of drops.</summary>
    public void Populate(Generator rng)
    {
        int count = (int)Math.Round(_target);
        for (int i = 0; i < count; i++) _drops.Add(NewDrop(rng));
        Coalesce();
        foreach (var d in _drops) d.Sliding = d.Radius >= _slideRadius;
    }

    /// <summary>Advances one frame.</summary>
    public void Step(Generator rng)
    {
        var shed = new List<Raindrop>();
        foreach (var d in _drops) Move(d, rng, shed);
        _drops.AddRange(shed);
        // Rain keeps landing; a glass that has drained below the target wets a little faster.
        double mean = _spawn + Math.Max(0, _target - _drops.Count) * 0.05;
        int landing = rng.Poisson(mean);
        for (int i = 0; i < landing; i++) _drops.Add(NewDrop(rng));
        Coalesce();
        _drops.RemoveAll(d => d.Y - d.Radius > _height || d.X + d.Reach < 0 || d.X - d.Reach > _width);
    }

    private void Move(Raindrop d, Generator rng, List<Raindrop> shed)
    {
        if (d.Radius < _slideRadius)
        {
            d.Sliding = false;
        }
        else if (d.Sliding)
        {
            if (rng.NextDouble() < StopChance) d.Sliding = false;
        }
        else if (rng.NextDouble() < StartChance)
        {
            d.Sliding = true;
        }

        if (!d.Sliding)
        {
            d.Tail += (d.RestTail - d.Tail) * 0.2;
            d.DriftX *= 0.5;
            return;
        }
        // Driving force ∝ volume, pinning force ∝ contact-line length, so the speed grows with radius above the threshold.
        double speed = Math.Min(4 * _slideSpeed, _slideSpeed * (d.Radius - _slideRadius) / _slideRadius + 0.3 * _slideSpeed);
        d.DriftX = 0.8 * d.DriftX + 0.12 * speed * rng.NextGaussian();
        d.X += d.DriftX;
        d.Y += speed;
        double targetTail = Math.Min(0.9, 0.3 + 2 * speed / d.Radius);
        d.Tail += (targetTail - d.Tail) * 0.3;
        // A sliding drop leaves part of its water behind as a small droplet at its trailing edge.
        double droplet = d.Radius * ShedFraction;
        if (droplet >= _radiusMin && rng.NextDouble() < ShedChance)
        {
            var small = NewDrop(rng, droplet);
            small.X = d.X + rng.Uniform(-0.3, 0.3) * d.Radius;
            small.Y = d.Y - d.Radius * (1 + d.Tail) - droplet;
            shed.Add(small);
            d.Radius = Math.Cbrt(d.Volume - small.Volume);
        }
    }

    private Raindrop NewDrop(Generator rng, double? radius = null)
    {
        // Small drops are far more common than large ones; u^1.6 skews a log-uniform draw towards the small end.
        double r = radius ?? _radiusMin * Math.Pow(_radiusMax / _radiusMin, Math.Pow(rng.NextDouble(), 1.6));
        double restTail = rng.Uniform(0, 0.12);
        return new Raindrop
        {
            Id = _nextId++,
            X = rng.Uniform(-0.5 * r, _width + 0.5 * r),
            Y = rng.Uniform(-0.5 * r, _height + 0.5 * r),
            Radius = r,
            ContactAngle = rng.Uniform(_contactMin, _contactMax),
            RestTail = restTail,
            Tail = restTail,
            H2 = rng.Uniform(0, 0.07), P2 = rng.Uniform(0, 2 * Math.PI),
            H3 = rng.Uniform(0, 0.04), P3 = rng.Uniform(0, 2 * Math.PI),
        };
    }

    /// <summary>Merges touching drops until none touch; the merged drop keeps the larger one's identity and shape.</summary>
    private void Coalesce()
    {
        bool merged = true;
        while (merged)
        {
            merged = false;
            for (int i = 0; i < _drops.Count && !merged; i++)
            {
                for (int j = i + 1; j < _drops.Count; j++)
                {
                    Raindrop a = _drops[i], b = _drops[j];
                    double dx = a.X - b.X, dy = a.Y - b.Y, reach = (a.Radius + b.Radius) * MergeReach;
                    if (dx * dx + dy * dy >= reach * reach) continue;
                    var (big, small) = a.Volume >= b.Volume ? (a, b) : (b, a);
                    double va = big.Volume, vb = small.Volume, v = va + vb;
                    big.X = (big.X * va + small.X * vb) / v;
                    big.Y = (big.Y * va + small.Y * vb) / v;
                    big.ContactAngle = (big.ContactAngle * va + small.ContactAngle * vb) / v;
                    big.Radius = Math.Cbrt(v);
                    big.Tail = Math.Max(big.Tail, small.Tail);
                    _drops.Remove(small);
                    merged = true;
                    break;
                }
            }
        }
    }
}
