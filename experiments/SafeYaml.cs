using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ContactOpt.Experiments;

/// <summary>
/// Converts a YAML study file to JSON through YamlDotNet's event parser (no object graph), refusing what a study
/// never needs and what makes small files dangerous: aliases (the "billion laughs" expansion), nesting deeper
/// than <see cref="StudySpec.MaxNesting"/>, duplicate keys, non-scalar keys, several documents, and integers
/// with leading zeros (<c>010</c> is 8 in YAML 1.1 and 10 in YAML 1.2). Plain scalars are typed as in YAML 1.2's
/// core schema (null, booleans, numbers); quoted scalars stay strings. Hand-written: YamlDotNet's deserializer
/// expands aliases into shared objects and has no depth limit or duplicate check for untyped graphs.
/// </summary>
public static class SafeYaml
{
    static readonly Regex Int = new(@"^[-+]?(0|[1-9][0-9]*)\z");
    static readonly Regex LeadingZero = new(@"^[-+]?0[0-9_]+(\.[0-9]*)?([eE][-+]?[0-9]+)?\z");
    static readonly Regex Float = new(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\z");

    /// <summary>The JSON text of a one-document YAML file; throws <see cref="ArgumentException"/> naming the problem and its line.</summary>
    public static string ToJson(string yaml)
    {
        try
        {
            var parser = new Parser(new StringReader(yaml));
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _)) throw new ArgumentException("the file is empty.");
            parser.Consume<DocumentStart>();
            var node = Read(parser, 0);
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _)) throw new ArgumentException("the file holds more than one YAML document.");
            return node?.ToJsonString() ?? "null";
        }
        catch (YamlException e) { throw new ArgumentException($"line {e.Start.Line}: {OneLine(e.Message)}"); }
    }

    static string OneLine(string s) => string.Join(' ', s.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    static JsonNode? Read(IParser p, int depth)
    {
        var current = p.Current;
        if (depth > StudySpec.MaxNesting) throw new ArgumentException($"line {current?.Start.Line}: nesting deeper than {StudySpec.MaxNesting} levels.");
        if (p.TryConsume<AnchorAlias>(out var alias))
            throw new ArgumentException($"line {alias.Start.Line}: YAML aliases (*{alias.Value}) are not accepted in study files; write the value out.");
        if (p.TryConsume<Scalar>(out var scalar)) return ScalarNode(scalar);
        if (p.TryConsume<SequenceStart>(out _))
        {
            var array = new JsonArray();
            while (!p.TryConsume<SequenceEnd>(out _)) array.Add(Read(p, depth + 1));
            return array;
        }
        if (p.TryConsume<MappingStart>(out _))
        {
            var map = new JsonObject();
            while (!p.TryConsume<MappingEnd>(out _))
            {
                if (!p.TryConsume<Scalar>(out var key))
                    throw new ArgumentException($"line {p.Current?.Start.Line}: mapping keys must be plain names.");
                if (map.ContainsKey(key.Value)) throw new ArgumentException($"line {key.Start.Line}: key '{key.Value}' appears twice.");
                map[key.Value] = Read(p, depth + 1);
            }
            return map;
        }
        throw new ArgumentException($"line {current?.Start.Line}: unexpected {current?.GetType().Name}.");
    }

    static JsonNode? ScalarNode(Scalar s)
    {
        if (!s.IsPlainImplicit || s.Style != ScalarStyle.Plain) return JsonValue.Create(s.Value);
        var v = s.Value;
        switch (v)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (LeadingZero.IsMatch(v))
            throw new ArgumentException($"line {s.Start.Line}: '{v}' has a leading zero (octal in YAML 1.1, decimal in 1.2); write it without, or quote it.");
        if (Int.IsMatch(v) && long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (Float.IsMatch(v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            return JsonNode.Parse(Normalize(v));
        return JsonValue.Create(v);
    }

    /// <summary>A YAML float spelled as a JSON number (no leading '+', a digit on both sides of the point).</summary>
    static string Normalize(string v)
    {
        var t = v.TrimStart('+');
        bool neg = t.StartsWith('-');
        if (neg) t = t[1..];
        if (t.StartsWith('.')) t = "0" + t;
        t = Regex.Replace(t, @"\.(?=[eE]|\z)", ".0");
        return (neg ? "-" : "") + t;
    }
}
