using System.Text;
using System.Text.Json.Nodes;

namespace AbandonedCart.Tests.Security;

/// <summary>
/// Structure-aware mutations of a valid JSON document: a value replaced by one of another type, a huge or tiny number,
/// a lone surrogate or NUL escape, a far-past or far-future date, deep nesting; a field removed or an extra one added;
/// then, sometimes, the bytes themselves broken (truncated, garbled, invalid UTF-8). Deterministic for a given
/// <see cref="Random"/>.
/// </summary>
internal static class JsonMutator
{
    /// <summary>JSON text a <see cref="JsonNode"/> cannot hold (or that we want written exactly so).</summary>
    public static readonly string[] RawValues =
    [
        "1e99999", "-1e99999", "123456789012345678901234567890123456789", "-0", "0.0000000000000000000000000001", "1E+308", "4.9e-324",
        "-1", "0", "2147483648", "9223372036854775808", "-9223372036854775809", "1.5", "99999999999.99", "10000000000",
        "\"\\ud800\"", "\"a\\udfffb\"", "\"\\ud83d\"", "\"\\ude00x\"", "\"\\u0000\"", "\"x\\u0000y\"", "\"\\\\\"", "\"\\u001f\"",
        "\"0001-01-01T00:00:00Z\"", "\"0001-01-02\"", "\"0001-01-01T00:00:00+14:00\"", "\"9999-12-31T23:59:59.9999999Z\"", "\"9999-12-31T23:59:59-14:00\"",
        "\"-271821-04-20T00:00:00Z\"", "\"+275760-09-13T00:00:00Z\"", "\"1970-01-01T00:00:00Z\"", "\"2026-02-30T10:00:00Z\"", "\"2026-03-02T10:00:00\"",
        "\"2026-03-02T10:00:00+99:99\"", "\"2026-13-45T99:00:00Z\"", "\"yesterday\"",
        "\"\"", "\" \"", "true", "false", "null", "[]", "{}", "[null]", "{\"\":null}", "[[]]", "\"NaN\"", "\"Infinity\"",
        "\"𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ü \\t\\n\"", "\"<script>alert(1)</script>\"", "\"'; DROP TABLE customers; --\"", "\"%00%ff\"", "\"../../etc/passwd\"",
        "\"+4915112345678\"", "\"+1\"", "\"x@example.com\"", "\"a@b\"", "\"Europe/Berlin\"", "\"Not/AZone\"", "\"https://x.example/\"",
        "\"javascript:alert(1)\"", "\"http://\"", "\"mobile\"", "\"desktop\"", "\"EUR\"", "\"eur\"", "\"€€€\"",
        Nested('[', ']', 70), Nested('[', ']', 3000), NestedObjects(70), NestedObjects(1500),
        "\"" + new string('x', 5000) + "\"", "\"" + string.Concat(Enumerable.Repeat("€", 3000)) + "\"",
    ];

    private const string Letters = "äéñßçøΩЖ中文한글العربيةעברית";

    private static readonly string[] ExtraNames = ["extra", "__proto__", "", "constructor", "id", "email", "phone", "$type", "a\u0000b", new string('k', 300)];

    private static readonly byte[][] BadUtf8 = [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xFF], [0xF4, 0x90, 0x80, 0x80], [0xC3], [0xE2, 0x82], [0x00], [0xEF, 0xBB, 0xBF]];

    /// <summary>1 to 3 mutations of <paramref name="valid"/>, serialised; one body in six is also broken at the byte level.</summary>
    public static byte[] Mutate(Random random, JsonNode? valid, int? times = null)
    {
        var root = valid?.DeepClone();
        var raws = new List<string>();
        var count = times ?? random.Next(1, 4);
        for (var t = 0; t < count; t++)
        {
            root = MutateOnce(random, root, raws);
        }

        var text = root?.ToJsonString() ?? "null";
        for (var k = 0; k < raws.Count; k++)
        {
            text = text.Replace($"\"@@RAW{k}@@\"", raws[k], StringComparison.Ordinal);
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        return random.Next(6) == 0 ? Corrupt(random, bytes) : bytes;
    }

    /// <summary>A value of any JSON type, or a raw token recorded in <paramref name="raws"/>.</summary>
    public static JsonNode? RandomValue(Random random, List<string> raws, int depth = 0)
    {
        switch (random.Next(depth > 2 ? 10 : 13))
        {
            case 0:
                return null;
            case 1:
                return random.Next(2) == 0;
            case 2:
                return random.Next(int.MinValue, int.MaxValue);
            case 3:
                return random.NextDouble() * Math.Pow(10, random.Next(-10, 300)) * (random.Next(2) == 0 ? -1 : 1);
            case 4:
                return RandomText(random);
            case 5:
                return new DateTimeOffset(random.NextInt64(DateTimeOffset.MinValue.Ticks + TimeSpan.TicksPerDay, DateTimeOffset.MaxValue.Ticks - TimeSpan.TicksPerDay), TimeSpan.Zero)
                    .ToOffset(TimeSpan.FromMinutes(15 * random.Next(-56, 57))).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            case 6:
            case 7:
            case 8:
            case 9:
                raws.Add(RawValues[random.Next(RawValues.Length)]);
                return $"@@RAW{raws.Count - 1}@@";
            case 10:
                return new JsonArray([.. Enumerable.Range(0, random.Next(5)).Select(_ => RandomValue(random, raws, depth + 1))]);
            default:
                var obj = new JsonObject();
                for (var k = random.Next(4); k > 0; k--)
                {
                    obj[ExtraNames[random.Next(ExtraNames.Length)] + k] = RandomValue(random, raws, depth + 1);
                }

                return obj;
        }
    }

    /// <summary>Printable ASCII, valid non-ASCII (accents, emoji as surrogate pairs, RTL), controls, or a long run.</summary>
    public static string RandomText(Random random)
    {
        var length = random.Next(4) == 0 ? random.Next(200, 3000) : random.Next(0, 40);
        var builder = new StringBuilder(length);
        var alphabet = random.Next(4);
        while (builder.Length < length)
        {
            switch (alphabet)
            {
                case 0:
                    builder.Append((char)random.Next(32, 127));
                    break;
                case 1:
                    builder.Append(Letters[random.Next(Letters.Length)]);
                    break;
                case 2:
                    builder.Append(char.ConvertFromUtf32(random.Next(0x1F300, 0x1FAFF)));
                    break;
                default:
                    builder.Append((char)random.Next(1, 32));
                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>Breaks the bytes: truncated, a few bytes garbled, invalid UTF-8 inserted, a byte-order mark, or nothing at all.</summary>
    public static byte[] Corrupt(Random random, byte[] bytes)
    {
        var list = bytes.ToList();
        switch (random.Next(5))
        {
            case 0:
                return [.. list.Take(random.Next(list.Count + 1))];
            case 1:
                for (var k = random.Next(1, 6); k > 0 && list.Count > 0; k--)
                {
                    list[random.Next(list.Count)] = (byte)random.Next(256);
                }

                return [.. list];
            case 2:
                list.InsertRange(random.Next(list.Count + 1), BadUtf8[random.Next(BadUtf8.Length)]);
                return [.. list];
            case 3:
                return [0xEF, 0xBB, 0xBF, .. list];
            default:
                return random.Next(2) == 0 ? [] : Encoding.UTF8.GetBytes(new string(' ', random.Next(1, 50)));
        }
    }

    private static JsonNode? MutateOnce(Random random, JsonNode? root, List<string> raws)
    {
        var slots = new List<(JsonNode Parent, string? Name, int Index)>();
        Collect(root, slots);
        var kind = random.Next(20);
        if (root is null || slots.Count == 0 || kind == 0)
        {
            // The whole document replaced: another type, a batch of it, or it nested deep.
            return random.Next(3) switch
            {
                0 => RandomValue(random, raws),
                1 => new JsonArray([.. Enumerable.Range(0, random.Next(0, 4)).Select(_ => root?.DeepClone())]),
                _ => new JsonObject { ["wrapped"] = root?.DeepClone() },
            };
        }

        var (parent, name, index) = slots[random.Next(slots.Count)];
        switch (kind)
        {
            case < 13:
                Set(parent, name, index, RandomValue(random, raws));
                break;
            case < 16:
                if (parent is JsonObject o)
                {
                    o.Remove(name!);
                }
                else
                {
                    ((JsonArray)parent).RemoveAt(index);
                }

                break;
            case < 18:
                var target = parent as JsonObject ?? root as JsonObject;
                if (target is not null)
                {
                    target[ExtraNames[random.Next(ExtraNames.Length)] + random.Next(3)] = RandomValue(random, raws);
                }

                break;
            default:
                var current = parent is JsonObject po ? po[name!] : ((JsonArray)parent)[index];
                Set(parent, name, index, random.Next(2) == 0 ? new JsonArray(current?.DeepClone()) : new JsonObject { ["value"] = current?.DeepClone() });
                break;
        }

        return root;
    }

    private static void Set(JsonNode parent, string? name, int index, JsonNode? value)
    {
        if (parent is JsonObject o)
        {
            o[name!] = value;
        }
        else
        {
            ((JsonArray)parent)[index] = value;
        }
    }

    private static void Collect(JsonNode? node, List<(JsonNode, string?, int)> slots)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o.ToList())
                {
                    slots.Add((o, name, -1));
                    Collect(child, slots);
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    slots.Add((a, null, i));
                    Collect(a[i], slots);
                }

                break;
        }
    }

    private static string Nested(char open, char close, int depth) => new string(open, depth) + new string(close, depth);

    private static string NestedObjects(int depth) => string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
}
