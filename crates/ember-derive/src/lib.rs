//! `#[derive(Module)]` for Ember: generates the reflection half of a module (`ModuleInfo`):
//! its parameters, buffers and sub-modules under PyTorch's dotted names, its hook slot and its
//! training flag. You write the other half, `impl Module for T { fn forward(..) }`.
//!
//! A proc-macro must live in a crate of its own; the documentation with runnable examples is on
//! the re-export, `ember_nn::Module`.
//!
//! How a field is classified (the attribute, when present, wins):
//! - `Tensor` → parameter (`#[module(buffer)]`, `#[module(buffer, persistent = false)]` for
//!   buffers); `Option<Tensor>` → present when `Some` (a bias that can be off); `Vec<Tensor>` →
//!   parameters `name.0`, `name.1`, … (PyTorch's `ParameterList` naming).
//! - `Hooks` → the module's hook slot; `training: bool` → its training flag.
//! - numbers, `bool`, `String`, `DType`, `Device`, tuples, arrays, and `Option`/`Vec` of those
//!   → plain data, skipped. Anything else → a sub-module (it must implement `Module`);
//!   `Option<M>`, `Vec<M>` and `Box<dyn Module>` work. `#[module(skip)]` skips a field,
//!   `#[module(rename = "name")]` renames it.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use syn::{
    Data, DeriveInput, Fields, GenericArgument, Ident, LitStr, PathArguments, Type,
    parse_macro_input,
};

/// Derives `ModuleInfo` (parameters, buffers, children, hooks, training flag) for a struct.
/// See the crate documentation for how fields are classified.
#[proc_macro_derive(Module, attributes(module))]
pub fn derive_module(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// How one field takes part in the module.
enum Role {
    Skip,
    Tensor { kind: TensorKind, shape: Shape },
    Child { shape: Shape, boxed: bool },
    Hooks,
    Training,
}

#[derive(Clone, Copy)]
enum TensorKind {
    Parameter,
    Buffer { persistent: bool },
}

/// The container a tensor or child sits in.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Plain,
    Option,
    Vec,
}

struct FieldAttrs {
    skip: bool,
    buffer: bool,
    param: bool,
    child: bool,
    persistent: bool,
    rename: Option<String>,
}

fn parse_attrs(field: &syn::Field) -> syn::Result<FieldAttrs> {
    let mut a = FieldAttrs {
        skip: false,
        buffer: false,
        param: false,
        child: false,
        persistent: true,
        rename: None,
    };
    for attr in &field.attrs {
        if !attr.path().is_ident("module") {
            continue;
        }
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                a.skip = true;
            } else if meta.path.is_ident("buffer") {
                a.buffer = true;
            } else if meta.path.is_ident("param") {
                a.param = true;
            } else if meta.path.is_ident("child") {
                a.child = true;
            } else if meta.path.is_ident("persistent") {
                let v: syn::LitBool = meta.value()?.parse()?;
                a.persistent = v.value;
            } else if meta.path.is_ident("rename") {
                let v: LitStr = meta.value()?.parse()?;
                a.rename = Some(v.value());
            } else {
                return Err(meta.error(
                    "unknown #[module(..)] option; expected skip, param, buffer, \
                     persistent = bool, child or rename = \"name\"",
                ));
            }
            Ok(())
        })?;
    }
    Ok(a)
}

/// The last path segment of a type and its first generic type argument, if any.
fn last_segment(ty: &Type) -> Option<(String, Option<&Type>)> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    let arg = match &seg.arguments {
        PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    Some((seg.ident.to_string(), arg))
}

fn is_plain_data(ty: &Type) -> bool {
    match ty {
        Type::Array(_) | Type::Tuple(_) | Type::Reference(_) | Type::BareFn(_) | Type::Slice(_) => {
            true
        }
        Type::Path(_) => {
            let Some((name, arg)) = last_segment(ty) else {
                return false;
            };
            const DATA: &[&str] = &[
                "bool",
                "char",
                "u8",
                "u16",
                "u32",
                "u64",
                "u128",
                "usize",
                "i8",
                "i16",
                "i32",
                "i64",
                "i128",
                "isize",
                "f32",
                "f64",
                "String",
                "str",
                "DType",
                "Device",
                "PathBuf",
                "PhantomData",
                "Duration",
                "PadMode",
                "Reduction",
            ];
            if DATA.contains(&name.as_str()) {
                return true;
            }
            match (name.as_str(), arg) {
                ("Option" | "Vec" | "Box" | "Arc", Some(inner)) => is_plain_data(inner),
                _ => false,
            }
        }
        _ => false,
    }
}

fn is_named(ty: &Type, name: &str) -> bool {
    matches!(last_segment(ty), Some((n, _)) if n == name)
}

fn classify(field: &syn::Field, name: &str) -> syn::Result<Role> {
    let a = parse_attrs(field)?;
    let ty = &field.ty;
    if a.skip {
        return Ok(Role::Skip);
    }
    let tensor_shape = if is_named(ty, "Tensor") {
        Some(Shape::Plain)
    } else {
        match last_segment(ty) {
            Some((ref n, Some(inner))) if n == "Option" && is_named(inner, "Tensor") => {
                Some(Shape::Option)
            }
            Some((ref n, Some(inner))) if n == "Vec" && is_named(inner, "Tensor") => {
                Some(Shape::Vec)
            }
            _ => None,
        }
    };
    if a.buffer || a.param || (tensor_shape.is_some() && !a.child) {
        let Some(shape) = tensor_shape else {
            return Err(syn::Error::new_spanned(
                ty,
                "#[module(param)]/#[module(buffer)] need a Tensor, Option<Tensor> or Vec<Tensor> field",
            ));
        };
        let kind = if a.buffer {
            TensorKind::Buffer {
                persistent: a.persistent,
            }
        } else {
            TensorKind::Parameter
        };
        return Ok(Role::Tensor { kind, shape });
    }
    if !a.child {
        if is_named(ty, "Hooks") {
            return Ok(Role::Hooks);
        }
        if name == "training" && is_named(ty, "bool") {
            return Ok(Role::Training);
        }
        if is_plain_data(ty) {
            return Ok(Role::Skip);
        }
    }
    let (shape, inner) = match last_segment(ty) {
        Some((ref n, Some(inner))) if n == "Option" => (Shape::Option, inner),
        _ => (Shape::Plain, ty),
    };
    let boxed = is_named(inner, "Box");
    Ok(Role::Child { shape, boxed })
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let krate = crate_path();
    let ident = &input.ident;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            ident,
            "#[derive(Module)] supports structs; wrap enum variants in a struct or implement \
             ModuleInfo by hand",
        ));
    };
    let fields: Vec<(TokenStream2, String, &syn::Field)> = match &data.fields {
        Fields::Named(named) => named
            .named
            .iter()
            .map(|f| {
                let id = f.ident.as_ref().expect("named field");
                let raw = id.to_string();
                let name = raw.strip_prefix("r#").unwrap_or(&raw).to_string();
                (quote!(#id), name, f)
            })
            .collect(),
        Fields::Unnamed(unnamed) => unnamed
            .unnamed
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let idx = syn::Index::from(i);
                (quote!(#idx), i.to_string(), f)
            })
            .collect(),
        Fields::Unit => Vec::new(),
    };

    let mut tensors = Vec::new();
    let mut tensors_mut = Vec::new();
    let mut children = Vec::new();
    let mut children_mut = Vec::new();
    let mut replace_arms = Vec::new();
    let mut hooks = quote!(::core::option::Option::None);
    let mut training_get = quote!(::core::option::Option::None);
    let mut training_set = quote!();
    for (access, default_name, field) in &fields {
        let attrs = parse_attrs(field)?;
        let name = attrs.rename.clone().unwrap_or_else(|| default_name.clone());
        let lit = LitStr::new(&name, Span::call_site());
        match classify(field, &name)? {
            Role::Skip => {}
            Role::Hooks => hooks = quote!(::core::option::Option::Some(&self.#access)),
            Role::Training => {
                training_get = quote!(::core::option::Option::Some(self.#access));
                training_set = quote!(self.#access = mode;);
            }
            Role::Tensor { kind, shape } => {
                let kind = match kind {
                    TensorKind::Parameter => quote!(#krate::TensorKind::Parameter),
                    TensorKind::Buffer { persistent } => {
                        quote!(#krate::TensorKind::Buffer { persistent: #persistent })
                    }
                };
                let (visit, visit_mut) = match shape {
                    Shape::Plain => (
                        quote!(f(#lit, &self.#access, #kind);),
                        quote!(f(#lit, &mut self.#access, #kind);),
                    ),
                    Shape::Option => (
                        quote!(if let ::core::option::Option::Some(t) = &self.#access { f(#lit, t, #kind); }),
                        quote!(if let ::core::option::Option::Some(t) = &mut self.#access { f(#lit, t, #kind); }),
                    ),
                    Shape::Vec => (
                        quote!(for (i, t) in self.#access.iter().enumerate() {
                            f(&::std::format!("{}.{}", #lit, i), t, #kind);
                        }),
                        quote!(for (i, t) in self.#access.iter_mut().enumerate() {
                            f(&::std::format!("{}.{}", #lit, i), t, #kind);
                        }),
                    ),
                };
                tensors.push(visit);
                tensors_mut.push(visit_mut);
            }
            Role::Child { shape, boxed } => {
                let ty = &field.ty;
                let deref = if boxed { quote!(&**) } else { quote!(&*) };
                let deref_mut = if boxed {
                    quote!(&mut **)
                } else {
                    quote!(&mut *)
                };
                match shape {
                    Shape::Plain => {
                        children.push(quote!(f(#lit, #deref &self.#access);));
                        children_mut.push(quote!(f(#lit, #deref_mut &mut self.#access);));
                        let arm = if boxed {
                            quote!(#lit => ::core::result::Result::Ok(::core::option::Option::Some(
                                ::core::mem::replace(&mut self.#access, module)
                            )),)
                        } else {
                            quote!(#lit => {
                                let module = #krate::downcast_module::<#ty>(module, #lit, ::core::any::type_name::<Self>())?;
                                ::core::result::Result::Ok(::core::option::Option::Some(
                                    ::std::boxed::Box::new(::core::mem::replace(&mut self.#access, module))
                                ))
                            })
                        };
                        replace_arms.push(arm);
                    }
                    Shape::Option => {
                        children.push(quote!(
                            if let ::core::option::Option::Some(m) = &self.#access { f(#lit, #deref m); }
                        ));
                        children_mut.push(quote!(
                            if let ::core::option::Option::Some(m) = &mut self.#access { f(#lit, #deref_mut m); }
                        ));
                        let inner = match last_segment(ty) {
                            Some((_, Some(inner))) => inner.clone(),
                            _ => unreachable!("Option field has a type argument"),
                        };
                        let arm = if boxed {
                            quote!(#lit => ::core::result::Result::Ok(self.#access.replace(module)),)
                        } else {
                            quote!(#lit => {
                                let module = #krate::downcast_module::<#inner>(module, #lit, ::core::any::type_name::<Self>())?;
                                ::core::result::Result::Ok(self.#access.replace(module).map(|m| {
                                    ::std::boxed::Box::new(m) as ::std::boxed::Box<dyn #krate::Module>
                                }))
                            })
                        };
                        replace_arms.push(arm);
                    }
                    Shape::Vec => unreachable!("children are never classified as Vec"),
                }
            }
        }
    }
    let type_name = LitStr::new(&ident.to_string(), Span::call_site());
    let (impl_g, ty_g, where_c) = input.generics.split_for_impl();
    let f = format_ident!("f");
    Ok(quote! {
        impl #impl_g #krate::ModuleInfo for #ident #ty_g #where_c {
            fn type_name(&self) -> &'static str { #type_name }
            #[allow(unused_variables)]
            fn visit_tensors(&self, #f: &mut dyn FnMut(&str, &#krate::Tensor, #krate::TensorKind)) {
                #(#tensors)*
            }
            #[allow(unused_variables)]
            fn visit_tensors_mut(&mut self, #f: &mut dyn FnMut(&str, &mut #krate::Tensor, #krate::TensorKind)) {
                #(#tensors_mut)*
            }
            #[allow(unused_variables)]
            fn visit_children<'__a>(&'__a self, #f: &mut dyn FnMut(&str, &'__a dyn #krate::Module)) {
                #(#children)*
            }
            #[allow(unused_variables)]
            fn visit_children_mut<'__a>(&'__a mut self, #f: &mut dyn FnMut(&str, &'__a mut dyn #krate::Module)) {
                #(#children_mut)*
            }
            fn replace_child(
                &mut self,
                name: &str,
                module: ::std::boxed::Box<dyn #krate::Module>,
            ) -> ::core::result::Result<
                ::core::option::Option<::std::boxed::Box<dyn #krate::Module>>,
                #krate::ReplaceError,
            > {
                match name {
                    #(#replace_arms)*
                    _ => ::core::result::Result::Err(#krate::ReplaceError::no_child(
                        module, name, ::core::any::type_name::<Self>(),
                    )),
                }
            }
            fn hooks(&self) -> ::core::option::Option<&#krate::Hooks> { #hooks }
            fn training(&self) -> ::core::option::Option<bool> { #training_get }
            #[allow(unused_variables)]
            fn set_training(&mut self, mode: bool) { #training_set }
            fn as_any(&self) -> &dyn ::core::any::Any { self }
            fn as_any_mut(&mut self) -> &mut dyn ::core::any::Any { self }
            fn into_any(self: ::std::boxed::Box<Self>) -> ::std::boxed::Box<dyn ::core::any::Any> { self }
        }
    })
}

/// The path under which the generated code finds `ember_nn`'s items: `::ember_nn` inside and
/// for users of ember-nn, `::ember::nn` for users of the facade, `::ember_nn` for users of the crate itself.
fn crate_path() -> TokenStream2 {
    use proc_macro_crate::{FoundCrate, crate_name};
    if let Ok(found) = crate_name("ember-nn") {
        return match found {
            // ember-nn declares `extern crate self as ember_nn`, so this path also works inside
            // it, and in its doc-tests (where `crate` would be the doc-test).
            FoundCrate::Itself => quote!(::ember_nn),
            FoundCrate::Name(n) => {
                let id = Ident::new(&n, Span::call_site());
                quote!(::#id)
            }
        };
    }
    match crate_name("ember") {
        Ok(FoundCrate::Name(n)) => {
            let id = Ident::new(&n, Span::call_site());
            quote!(::#id::nn)
        }
        _ => quote!(::ember::nn),
    }
}
